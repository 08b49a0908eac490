import { useId, useState, type ReactNode } from 'react';
import { formatTime } from './ui.tsx';

/**
 * Time-bound role assignments (issue 9, docs/governance.md): an assignment may carry an end (an
 * elevation, worn over the member's permanent role, which applies again at that end).
 */

/** What an assignment row carries about its end; both null (or absent, from an older server) when permanent. */
export interface AssignmentTerm {
  endsAt?: string | null;
  thenRole?: { id?: string; name: string } | null;
}

/** "until 3 Dec 2026, 18:00, then Viewer": nothing for a permanent assignment. */
export function AssignmentEnd({ term }: { term: AssignmentTerm }) {
  if (!term.endsAt) return null;
  return (
    <small className="muted assignment-end">
      {' '}
      until {formatTime(term.endsAt)}
      {term.thenRole ? `, then ${term.thenRole.name}` : ''}
    </small>
  );
}

/** The API's end of a set-role: permanent, for a duration (`4h`, `7d`), or until an instant. */
export type AssignmentLength = { duration?: string; until?: string };

const LENGTHS = [
  { value: '', label: 'Permanent' },
  { value: '1h', label: 'For 1 hour' },
  { value: '4h', label: 'For 4 hours' },
  { value: '8h', label: 'For 8 hours' },
  { value: '1d', label: 'For 1 day' },
  { value: '7d', label: 'For 7 days' },
  { value: 'until', label: 'Until…' },
] as const;

/** datetime-local values are in the browser's zone; the API wants ISO 8601 with an offset. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** A select of how long a role is given for, with a date and time when "Until…" is picked. */
export function useAssignmentLength(): { value: AssignmentLength; permanent: boolean; invalid: boolean; fields: (label: string) => ReactNode; reset: () => void } {
  const [choice, setChoice] = useState('');
  const [until, setUntil] = useState('');
  const id = useId();
  const value: AssignmentLength = choice === '' ? {} : choice === 'until' ? { until: toIso(until) } : { duration: choice };
  return {
    value,
    permanent: choice === '',
    invalid: choice === 'until' && !until,
    reset: () => (setChoice(''), setUntil('')),
    fields: (label) => (
      <>
        <label htmlFor={`${id}-length`} className="visually-hidden">
          {label}
        </label>
        <select id={`${id}-length`} value={choice} onChange={(e) => setChoice(e.target.value)}>
          {LENGTHS.map((length) => (
            <option key={length.value} value={length.value}>
              {length.label}
            </option>
          ))}
        </select>
        {choice === 'until' && (
          <>
            <label htmlFor={`${id}-until`} className="visually-hidden">
              {label}: until
            </label>
            <input id={`${id}-until`} type="datetime-local" required value={until} onChange={(e) => setUntil(e.target.value)} />
          </>
        )}
      </>
    ),
  };
}

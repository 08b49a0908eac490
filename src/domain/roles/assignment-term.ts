import { fail } from '../error-catalogue.ts';
import { parseDuration } from '../tokens/duration.ts';

/** How the API and the CLI give an assignment an end: `until` an instant, or for a `duration` ("8h", "90m", "2d"). */
export interface AssignmentTermInput {
  until?: string;
  duration?: string;
}

/**
 * The end of a time-bound assignment made at `now`, as ISO-8601 UTC; undefined when the input
 * names none (a permanent assignment). `until` takes any ISO-8601 instant with its offset
 * (`2027-01-31T18:00Z`, `2027-01-31T19:00:00+01:00`), in the future.
 */
export function assignmentEnd(term: AssignmentTermInput, now: Date): string | undefined {
  if (term.until !== undefined && term.duration !== undefined) throw fail('ASSIGNMENT_END_INVALID', { problem: 'give either until or duration (--until or --for), not both' });
  if (term.duration !== undefined) return new Date(now.getTime() + parseDuration(term.duration, 'duration')).toISOString();
  if (term.until === undefined) return undefined;
  const text = term.until.trim();
  // An instant needs its offset: a bare local time would mean a different instant on every machine.
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw fail('ASSIGNMENT_END_INVALID', { problem: `until "${text.slice(0, 40)}" is not an ISO-8601 instant with an offset, e.g. 2027-01-31T18:00Z` });
  if (time <= now.getTime()) throw fail('ASSIGNMENT_END_INVALID', { problem: `until ${new Date(time).toISOString()} is not in the future` });
  return new Date(time).toISOString();
}

import { formatTime } from './ui.tsx';
import type { AuditEvent } from '../types.ts';

type Change = { field: string; before: string; after: string };

function show(value: unknown): string {
  if (value === undefined) return '—';
  if (value === null) return 'none';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length ? value.map(show).join(', ') : 'none';
  return JSON.stringify(value);
}

/** Field-by-field changes of an audit diff; lists (permissions) show what was added and removed. */
export function describeDiff(diff: AuditEvent['diff']): Change[] {
  if (!diff) return [];
  const before = (diff.before ?? {}) as Record<string, unknown>;
  const after = (diff.after ?? {}) as Record<string, unknown>;
  if (typeof before !== 'object' || typeof after !== 'object') return [{ field: 'value', before: show(diff.before), after: show(diff.after) }];
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changes: Change[] = [];
  for (const field of fields) {
    const old = before[field];
    const now = after[field];
    if (JSON.stringify(old) === JSON.stringify(now)) continue;
    if (Array.isArray(old) && Array.isArray(now)) {
      const added = now.filter((item) => !old.includes(item));
      const removed = old.filter((item) => !now.includes(item));
      changes.push({ field, before: removed.length ? `−${removed.join(', −')}` : '', after: added.length ? `+${added.join(', +')}` : '' });
    } else {
      changes.push({ field, before: diff.before === null ? '' : show(old), after: diff.after === null ? '' : show(now) });
    }
  }
  return changes;
}

export function DiffView({ diff }: { diff: AuditEvent['diff'] }) {
  const changes = describeDiff(diff);
  if (changes.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="diff">
      {changes.map((change) => (
        <li key={change.field}>
          <span className="diff-field">{change.field}</span>{' '}
          {change.before && <del>{change.before}</del>}
          {change.before && change.after && ' → '}
          {change.after && <ins>{change.after}</ins>}
        </li>
      ))}
    </ul>
  );
}

/** Ids are long and time-ordered (UUIDv7): their last characters tell them apart; the full id is in the tooltip. */
const shortId = (id: string | null) => (id && id.length > 12 ? `…${id.slice(-8)}` : (id ?? ''));

export function AuditTable({ events, label }: { events: AuditEvent[]; label: string }) {
  return (
    <div className="table-wrap">
      <table aria-label={label} className="audit">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Category</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Subject</th>
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td className="nowrap">{formatTime(event.occurredAt)}</td>
              <td className="actor">{event.actorEmail ?? 'system'}</td>
              <td>
                <span className="badge">{event.category}</span>
              </td>
              <td className="nowrap">
                <code>{event.action}</code>
              </td>
              <td>
                <span className={`badge badge-${event.outcome}`}>{event.outcome}</span>
              </td>
              <td className="subject">
                {event.subjectType ? (
                  <>
                    {event.subjectType} <code title={event.subjectId ?? undefined}>{shortId(event.subjectId)}</code>
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td className="changes">
                <DiffView diff={event.diff} />
                {event.detail && Object.keys(event.detail).length > 0 && (
                  <details>
                    <summary>Details</summary>
                    <pre>{JSON.stringify(event.detail, null, 2)}</pre>
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { Link } from '../router.tsx';
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

/** Ids are long and time-ordered (UUIDv7): their last characters tell them apart. */
const shortId = (id: string | null) => (id && id.length > 12 ? `…${id.slice(-8)}` : (id ?? ''));

/** The full id, one click away (a disclosure, so it takes no room until asked for). */
function IdReveal({ id }: { id: string }) {
  return (
    <details className="id-reveal">
      <summary>Id</summary>
      <code>{id}</code>
    </details>
  );
}

/**
 * A user by name and email, as the server joined them to the event (the email the actor had
 * when acting); a link to their page when they are a member of the tenant the dashboard acts in
 * (the page would answer "not found" elsewhere); the id when the name is gone (no longer a member).
 */
function Person({ id, name, email, linkable }: { id: string; name: string | null; email: string | null; linkable: boolean }) {
  const label = name ?? email ?? `user ${shortId(id)}`;
  return (
    <>
      {linkable && name ? <Link to={`/admin/users/${id}`}>{label}</Link> : <span>{label}</span>}
      {name && email && <span className="person-email">{email}</span>}
      <IdReveal id={id} />
    </>
  );
}

function Subject({ event, here }: { event: AuditEvent; here: boolean }) {
  const { subjectType: type, subjectId: id } = event;
  if (!type) return <>—</>;
  if (!id) return <>{type}</>;
  if (type === 'user') return <Person id={id} name={event.subjectName ?? null} email={event.subjectEmail ?? null} linkable={here} />;
  const name = event.subjectName;
  return (
    <>
      <span className="muted">{type}</span>{' '}
      {name && type === 'role' && here ? <Link to={`/admin/roles/${id}`}>{name}</Link> : name ? <span>{name}</span> : <code>{shortId(id)}</code>}
      <IdReveal id={id} />
    </>
  );
}

/**
 * Events by name: the actor and the subject as names and emails (the ids one click away), the
 * event's tenant (`showTenant`: the audit page, whose "all tenants" view mixes them), the
 * changes field by field. `actingTenantId`: names link to their pages only within it.
 */
export function AuditTable({ events, label, actingTenantId, showTenant = false }: { events: AuditEvent[]; label: string; actingTenantId?: string; showTenant?: boolean }) {
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
            {showTenant && <th scope="col">Tenant</th>}
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const here = event.tenantId === actingTenantId;
            return (
              <tr key={event.id}>
                <td className="nowrap">{formatTime(event.occurredAt)}</td>
                <td className="actor">{event.actorId ? <Person id={event.actorId} name={event.actorName ?? null} email={event.actorEmail} linkable={here} /> : (event.actorEmail ?? 'system')}</td>
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
                  <Subject event={event} here={here} />
                </td>
                {showTenant && (
                  <td className="tenant" title={event.tenantName ?? undefined}>
                    {event.tenantSlug ?? <code>{shortId(event.tenantId)}</code>}
                  </td>
                )}
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
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

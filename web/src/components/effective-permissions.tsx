import { useEffect, useState } from 'react';
import { get } from '../api.ts';
import { ErrorMessage, formatTime, Loading } from './ui.tsx';
import type { EffectivePermissions, PermissionExplanation } from '../types.ts';

/** GET /api/v1/users/:id/explain (docs/governance.md): one entry per permission. */
type Explanation = PermissionExplanation;

/**
 * The user page's Effective permissions, each with a "Why?" that shows, inline, how it is
 * decided in the tenant the dashboard acts in: the granting role, since when and by whom, or
 * the reasons and the roles that would grant it with who may assign them. Every permission is
 * explained by one request (asked at the first "Why?"), so the others open at once.
 */
export function EffectivePermissionsSection({ path, effective }: { path: string; effective: EffectivePermissions | undefined }) {
  const [open, setOpen] = useState<string>();
  const [explained, setExplained] = useState<Map<string, Explanation>>();
  const [error, setError] = useState<unknown>();
  // Reloaded after a change (a role set on this page): the explanations are asked again.
  useEffect(() => setExplained(undefined), [effective]);

  const why = async (permission: string) => {
    setOpen(open === permission ? undefined : permission);
    if (explained || open === permission) return;
    try {
      setError(undefined);
      const answer = await get<{ permissions: Explanation[] }>(`${path}/explain`);
      setExplained(new Map(answer.permissions.map((entry) => [entry.permission, entry])));
    } catch (failure) {
      setError(failure);
    }
  };

  const entry = open ? explained?.get(open) : undefined;
  return (
    <section className="card" aria-labelledby="effective-heading">
      <h2 id="effective-heading">Effective permissions</h2>
      <p className="muted">Deduplicated across every tenant the user has a role in. “Why?” explains one in the tenant you act in.</p>
      {effective ? (
        effective.permissions.length ? (
          <ul className="chips" aria-label="Effective permissions">
            {effective.permissions.map((permission) => (
              <li key={permission}>
                {permission}{' '}
                <button type="button" className="link small" aria-expanded={open === permission} aria-controls="permission-explanation" aria-label={`Why ${permission}?`} onClick={() => void why(permission)}>
                  Why?
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No permissions.</p>
        )
      ) : (
        <Loading />
      )}
      {open && (
        <div id="permission-explanation" role="region" aria-label={`Why ${open}`} className="explanation">
          {error ? <ErrorMessage error={error} /> : entry ? <ExplanationView entry={entry} /> : <Loading />}
        </div>
      )}
    </section>
  );
}

function ExplanationView({ entry }: { entry: Explanation }) {
  const grant = entry.grantedBy;
  const verdict = entry.granted === null ? 'not visible to you' : entry.granted ? 'granted' : 'refused';
  return (
    <>
      <p>
        <strong>{entry.permission}</strong> in tenant <strong>{entry.tenant.slug}</strong>: {verdict}
        {entry.timeBound ? ` (time-bound until ${formatTime(grant?.endsAt)}${grant?.thenRole ? `, then ${grant.thenRole.name} again` : ''})` : grant ? ' (not time-bound)' : ''}.
      </p>
      {grant && (
        <p>
          Through the role <strong>{grant.role.name}</strong> in {grant.tenant.slug}, assigned {formatTime(grant.assignedAt)} by{' '}
          {grant.assignedBy ? (grant.assignedBy.email ?? grant.assignedBy.id) : 'the installation'}
          {grant.auditEvent && ` (audit trail: role.assigned ${formatTime(grant.auditEvent.occurredAt)} by ${grant.auditEvent.actorEmail ?? 'the installation'})`}.
        </p>
      )}
      {entry.reasons.length > 0 && (
        <ul aria-label="Reasons">
          {entry.reasons.map((reason) => (
            <li key={reason.code}>
              <code>{reason.code}</code> {reason.message}
            </li>
          ))}
        </ul>
      )}
      {entry.wouldGrant.length > 0 && (
        <>
          <p>Would grant it:</p>
          <ul aria-label="Roles that would grant it">
            {entry.wouldGrant.map((offer) => (
              <li key={offer.role.id}>
                <strong>{offer.role.name}</strong>:{' '}
                {offer.assignableBy.length > 0
                  ? `ask ${offer.assignableBy.map((person) => person.email).join(', ')}${offer.assignableByCount > offer.assignableBy.length ? ` and ${offer.assignableByCount - offer.assignableBy.length} more` : ''}`
                  : 'nobody active may assign it to them here'}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

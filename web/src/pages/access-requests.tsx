import { useState, type FormEvent } from 'react';
import { get, post, query } from '../api.ts';
import { ErrorMessage, Field, formatTime, Loading, Notice, Pager, useAction, useLoad, usePages } from '../components/ui.tsx';
import { useMe } from '../session.tsx';
import type { AccessRequest, AccessRequestListItem, Page, Role } from '../types.ts';

/**
 * Access requests (issue 9, docs/governance.md): a signed-in user asks for a role in one of their
 * tenants for a while, with a reason (Settings → Request access); an approver — AssignRoles
 * there, and allowed to give that role — approves it, which gives the role as a time-bound
 * assignment from then for the duration, or denies it (Admin → Access requests). Nobody decides
 * their own request: the server refuses it, and the page shows its message.
 */

/** What the list's refusal codes mean for the approver; the server's own message comes with a refused click. */
const REFUSALS: Record<string, string> = {
  ACCESS_REQUEST_OWN: 'This is your own request: another approver must decide it.',
  ELEVATION_NEEDS_MEMBERSHIP: 'They are no longer a member of this tenant.',
  PERMISSION_MISSING: 'The role holds permissions you don’t hold yourself.',
  TARGET_MORE_PRIVILEGED: 'They hold more than you elsewhere.',
};

const BUILT_IN_ROLES = ['Admin', 'Operator', 'Viewer'];

const DURATIONS = [
  { value: '1h', label: '1 hour' },
  { value: '4h', label: '4 hours' },
  { value: '8h', label: '8 hours' },
  { value: '1d', label: '1 day' },
] as const;

const STATUS_BADGES: Record<AccessRequest['status'], string> = { pending: 'badge-waiting', approved: 'badge-success', denied: 'badge-failure' };

function RequestStatus({ request }: { request: AccessRequest }) {
  return (
    <>
      <span className={`badge ${STATUS_BADGES[request.status]}`}>{request.status}</span>
      {request.status !== 'pending' && (
        <div className="muted">
          {request.status === 'approved' && request.endsAt ? `until ${formatTime(request.endsAt)}; ` : ''}
          by {request.decidedBy?.email ?? 'a deleted user'} {formatTime(request.decidedAt)}
          {request.decisionReason ? `: “${request.decisionReason}”` : ''}
        </div>
      )}
    </>
  );
}

/** Settings → Request access: the form, and the caller's own requests with where each stands. */
export function RequestAccessPage() {
  const me = useMe();
  const [tenant, setTenant] = useState(me.tenant?.slug ?? me.tenants[0]?.tenantSlug ?? '');
  const [role, setRole] = useState('');
  const [duration, setDuration] = useState('4h');
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState<AccessRequest>();
  const action = useAction();
  const pages = usePages();
  const mine = useLoad(() => get<Page<AccessRequest>>('/api/v1/me/access-requests' + query({ cursor: pages.cursor, limit: 20 })), [pages.cursor, sent?.id]);
  const membership = me.tenants.find((entry) => entry.tenantSlug === tenant);
  // The tenant's roles when the caller may list them (ViewUsers there); the built-in ones otherwise.
  const roles = useLoad(
    () => (membership?.permissions.includes('ViewUsers') ? get<{ items: Role[] }>('/api/v1/roles', { tenant }).then((answer) => answer.items.map((item) => item.name)) : Promise.resolve(BUILT_IN_ROLES)),
    [tenant],
  );
  const choices = (roles.data ?? BUILT_IN_ROLES).filter((name) => name !== membership?.roleName);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSent(undefined);
    void action.run(async () => {
      const created = await post<AccessRequest>('/api/v1/me/access-requests', { role, tenant, duration, reason: reason.trim() });
      setSent(created);
      setReason('');
    });
  };

  return (
    <>
      <header className="page-header">
        <h1>Request access</h1>
      </header>
      <p className="muted">
        Ask for a role in one of your tenants for a while, saying why. An approver there (someone who may assign that role) approves or denies it; once approved, the role is yours from then
        for the time asked, and your usual role applies again at its end.
      </p>
      <form className="card form" onSubmit={submit} aria-label="Request access">
        <Field label="Tenant">
          {(id) => (
            <select id={id} value={tenant} onChange={(e) => (setTenant(e.target.value), setRole(''))}>
              {me.tenants.map((entry) => (
                <option key={entry.tenantId} value={entry.tenantSlug}>
                  {entry.tenantSlug} (you hold {entry.roleName})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} required value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">Choose a role</option>
              {choices.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="For">
          {(id) => (
            <select id={id} value={duration} onChange={(e) => setDuration(e.target.value)}>
              {DURATIONS.map((entry) => (
                <option key={entry.value} value={entry.value}>
                  {entry.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Reason" hint="What you need it for: the approver reads this">
          {(id) => <textarea id={id} required rows={3} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <ErrorMessage error={action.error ?? roles.error} />
        {sent && (
          <Notice>
            Requested {sent.role.name} in {sent.tenant.slug} for {sent.duration}: waiting for an approver.
          </Notice>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={action.pending || !role || !reason.trim()}>
            Request access
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="my-requests-heading">
        <h2 id="my-requests-heading">Your requests</h2>
        <ErrorMessage error={mine.error} />
        {!mine.data ? (
          mine.loading ? <Loading /> : null
        ) : mine.data.items.length === 0 ? (
          <p className="muted">You haven't asked for access yet.</p>
        ) : (
          <div className="table-wrap">
            <table aria-labelledby="my-requests-heading" className="stacked">
              <thead>
                <tr>
                  <th scope="col">Asked</th>
                  <th scope="col">Role</th>
                  <th scope="col">For</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {mine.data.items.map((request) => (
                  <tr key={request.id}>
                    <td data-label="Asked">{formatTime(request.createdAt)}</td>
                    <td data-label="Role">
                      {request.role.name}
                      <div className="muted">in {request.tenant.slug}</div>
                    </td>
                    <td data-label="For">{request.duration}</td>
                    <td data-label="Reason">{request.reason}</td>
                    <td data-label="Status">
                      <RequestStatus request={request} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {(pages.pageNumber > 1 || mine.data?.nextCursor) && <Pager pageNumber={pages.pageNumber} nextCursor={mine.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />}
      </section>
    </>
  );
}

/** Admin → Access requests: the acting tenant's pending requests, each approved or denied with a reason; then the decided ones. */
export function AccessRequestsPage() {
  const me = useMe();
  const [generation, setGeneration] = useState(0);
  const pending = useLoad(() => get<Page<AccessRequestListItem>>('/api/v1/access-requests' + query({ status: 'pending', limit: 50 })), [generation]);
  const decided = useLoad(() => get<Page<AccessRequestListItem>>('/api/v1/access-requests' + query({ limit: 50 })), [generation]);
  const [notice, setNotice] = useState<string>();
  const done = (text: string) => {
    setNotice(text);
    setGeneration((value) => value + 1);
  };
  const history = decided.data?.items.filter((request) => request.status !== 'pending') ?? [];
  return (
    <>
      <header className="page-header">
        <h1>Access requests</h1>
      </header>
      <p className="muted">
        Requests for a time-bound role in {me.tenant?.slug ?? 'this tenant'}. Approving gives the role from now for the time asked (at most the tenant's maximum); you can approve only a role
        whose permissions you hold yourself, and never your own request.
      </p>
      {notice && <Notice>{notice}</Notice>}
      <section className="card" aria-labelledby="pending-heading">
        <h2 id="pending-heading">Pending</h2>
        <ErrorMessage error={pending.error} />
        {!pending.data ? (
          pending.loading ? <Loading /> : null
        ) : pending.data.items.length === 0 ? (
          <p className="muted">No request is waiting.</p>
        ) : (
          <ul className="request-list" aria-labelledby="pending-heading">
            {pending.data.items.map((request) => (
              <PendingRequest key={request.id} request={request} onDone={done} />
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="decided-heading">
        <h2 id="decided-heading">Decided</h2>
        <ErrorMessage error={decided.error} />
        {!decided.data ? (
          decided.loading ? <Loading /> : null
        ) : history.length === 0 ? (
          <p className="muted">No request decided yet.</p>
        ) : (
          <div className="table-wrap">
            <table aria-labelledby="decided-heading" className="stacked">
              <thead>
                <tr>
                  <th scope="col">Requester</th>
                  <th scope="col">Role</th>
                  <th scope="col">For</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Decision</th>
                </tr>
              </thead>
              <tbody>
                {history.map((request) => (
                  <tr key={request.id}>
                    <td data-label="Requester">{request.user.email}</td>
                    <td data-label="Role">{request.role.name}</td>
                    <td data-label="For">{request.duration}</td>
                    <td data-label="Reason">{request.reason}</td>
                    <td data-label="Decision">
                      <RequestStatus request={request} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function PendingRequest({ request, onDone }: { request: AccessRequestListItem; onDone: (notice: string) => void }) {
  const [note, setNote] = useState('');
  const action = useAction();
  const decide = (verdict: 'approve' | 'deny') =>
    void action.run(async () => {
      const decided = await post<AccessRequest>(`/api/v1/access-requests/${encodeURIComponent(request.id)}/${verdict}`, { reason: note.trim() || undefined });
      onDone(
        verdict === 'approve'
          ? `Approved: ${request.user.email} holds ${request.role.name}${decided.endsAt ? ` until ${formatTime(decided.endsAt)}` : ''}.`
          : `Denied ${request.user.email}'s request for ${request.role.name}.`,
      );
    });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    decide('approve');
  };
  return (
    <li className="request" aria-label={`${request.user.email} asks for ${request.role.name}`}>
      <p>
        <strong>{request.user.email}</strong> asks for <strong>{request.role.name}</strong> for {request.duration}
        <span className="muted"> · asked {formatTime(request.createdAt)}</span>
      </p>
      <blockquote>{request.reason}</blockquote>
      {request.mayApprove === false && request.refusal && (
        <p className="muted">
          {REFUSALS[request.refusal] ?? 'You may not approve it.'} (<code>{request.refusal}</code>)
        </p>
      )}
      <form className="inline" onSubmit={submit}>
        <Field label="Your reason" hint="Kept with the decision; needed to deny">
          {(id) => <input id={id} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        <button type="submit" className="primary small" disabled={action.pending}>
          Approve
        </button>
        <button type="button" className="danger small" disabled={action.pending || !note.trim()} onClick={() => decide('deny')}>
          Deny
        </button>
      </form>
      <ErrorMessage error={action.error} />
    </li>
  );
}

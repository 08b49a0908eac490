import { useState } from 'react';
import { post } from '../../api.ts';
import { AuditTable } from '../../components/audit-table.tsx';
import { ErrorMessage, formatTime, Loading, OneTimeSecret, StatusBadge, useAction } from '../../components/ui.tsx';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import type { Activity, HandedOverLink, MailDelivery } from '../../types.ts';

/** The Activity tab: last sign-in, where their last invitation or reset mail stands, and their recent actions. */
export function ActivityTab({ activity, error, userId, onChange }: { activity?: Activity; error: unknown; userId: string; onChange: () => void }) {
  const { can } = useSession();
  const manage = can('ManageUsers');
  return (
    <section className="card" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Account activity</h2>
      <ErrorMessage error={error} />
      {!activity ? (
        <Loading />
      ) : (
        <>
          <h3>Last login</h3>
          {activity.lastLogin ? (
            <p>
              {formatTime(activity.lastLogin.at)} from {activity.lastLogin.ip ?? 'unknown address'} <span className="muted">({activity.lastLogin.userAgent ?? 'unknown client'})</span>
            </p>
          ) : (
            <p className="muted">Never signed in.</p>
          )}

          {activity.lastMail !== undefined && manage && <LastMail mail={activity.lastMail} userId={userId} onChange={onChange} />}

          <h3>Recent actions</h3>
          {activity.recentEvents === null ? (
            <p className="muted">Reading recent actions needs the ViewAuditLogs permission.</p>
          ) : activity.recentEvents.length === 0 ? (
            <p className="muted">No recorded actions.</p>
          ) : (
            <>
              <AuditTable events={activity.recentEvents} label="Recent actions" />
              <p>
                <Link to={`/admin/audit?user=${encodeURIComponent(userId)}`}>Full audit trail for this user</Link>
              </p>
            </>
          )}
        </>
      )}
    </section>
  );
}

const MAIL_KINDS: Record<MailDelivery['kind'], string> = { invitation: 'Invitation', password_reset: 'Password reset', account_created: 'Account notice (no credential)', single_sign_on_notice: 'Single sign-on notice (no reset link)', access_request: 'Access request to approve' };

/**
 * Where the user's last invitation, reset or account notice stands — queued is not delivered —
 * and, when it can't reach them, a fresh one-time link to hand over yourself (shown once).
 */
function LastMail({ mail, userId, onChange }: { mail: MailDelivery | null; userId: string; onChange: () => void }) {
  const [handed, setHanded] = useState<HandedOverLink>();
  const action = useAction();
  const handOver = () =>
    action.run(async () => {
      setHanded(await post<HandedOverLink>(`/api/v1/users/${encodeURIComponent(userId)}/one-time-link`, { deliver: 'manual' }));
      onChange();
    });
  const stuck = mail !== null && (mail.delivery === 'failed' || mail.delivery === 'queued') && mail.kind !== 'account_created';
  return (
    <section aria-label="Last mail">
      <h3>Last mail</h3>
      {mail === null ? (
        <p className="muted">No invitation or reset mail.</p>
      ) : (
        <p>
          {MAIL_KINDS[mail.kind] ?? mail.kind} to {mail.recipient}, {formatTime(mail.createdAt)}: <StatusBadge status={mail.delivery} />{' '}
          {mail.delivery === 'sent' && <>sent {formatTime(mail.sentAt)}.</>}
          {mail.delivery === 'queued' && (
            <>
              not sent yet ({mail.attempts} attempt(s){mail.nextAttemptAt ? <>, next {formatTime(mail.nextAttemptAt)}</> : null}).
            </>
          )}
          {mail.delivery === 'failed' && <>given up after {mail.attempts} attempt(s).</>}
          {mail.delivery === 'cancelled' && <>withdrawn unsent.</>}
          {mail.lastError && <span className="muted"> {mail.delivery === 'cancelled' ? mail.lastError : <>Last error: {mail.lastError}</>}</span>}
        </p>
      )}
      {stuck && !handed && (
        <div className="actions">
          <button type="button" onClick={() => void handOver()} disabled={action.pending}>
            Get a link to hand over
          </button>
          <small className="muted">A fresh one-time link, shown once, for you to pass on; the queued mail is withdrawn and their earlier links and unused initial password stop working.</small>
        </div>
      )}
      <ErrorMessage error={action.error} />
      {handed && (
        <OneTimeSecret
          title="Link to hand over"
          note={
            <>
              Shown only this once: send it to the user yourself. It works once and expires {formatTime(handed.expiresAt)}.
              {handed.cancelledMessages.length > 0 && <> {handed.cancelledMessages.length} queued mail(s) withdrawn.</>}
              {handed.initialPasswordRetired && <> An initial password they had not used yet no longer works.</>}
            </>
          }
          rows={[{ label: 'One-time link', value: handed.link }]}
        />
      )}
    </section>
  );
}

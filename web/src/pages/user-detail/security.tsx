import { useState } from 'react';
import { del, get } from '../../api.ts';
import { ErrorMessage, formatTime, Loading, Notice, StatusBadge, useAction, useLoad } from '../../components/ui.tsx';
import { useSession } from '../../session.tsx';
import type { Activity, AuthenticationPolicy, PolicySource, SignInLock, UserView, UserListItem } from '../../types.ts';

/** The Security tab: two-factor authentication, single sign-on and the sign-in lock. */
export function SecurityTab({ user, path, activity, error }: { user: UserView; path: string; activity?: Activity; error: unknown }) {
  const { can } = useSession();
  return (
    <>
      <TwoFactorStatus user={user} activity={activity} />
      <section className="card" aria-labelledby="sso-heading">
        <h2 id="sso-heading">Single sign-on</h2>
        <ErrorMessage error={error} />
        {!activity ? (
          <Loading />
        ) : (
          <>
            {activity.identities.length === 0 ? (
              <p className="muted">Not linked to an identity provider.</p>
            ) : (
              <table aria-label="Identity provider accounts">
                <thead>
                  <tr>
                    <th>Provider</th>
                    <th>Account (subject)</th>
                    <th>Linked</th>
                    <th>Last sign-in</th>
                  </tr>
                </thead>
                <tbody>
                  {activity.identities.map((identity) => (
                    <tr key={`${identity.issuer} ${identity.subject}`}>
                      <td>{identity.issuer}</td>
                      <td>{identity.subject}</td>
                      <td>{formatTime(identity.createdAt)}</td>
                      <td>{identity.lastLoginAt ? formatTime(identity.lastLoginAt) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {!activity.hasPassword && <p className="muted">No local password: this account signs in through its identity provider only (a password reset link gives it one).</p>}
          </>
        )}
      </section>
      {can('ManageUsers') && <SignInLockSection path={path} />}
    </>
  );
}

const SOURCES: Record<PolicySource, string> = {
  default: 'the default',
  appsettings: 'the installation’s configuration file',
  'tenant appsettings': 'the tenant’s configuration file',
  'admin API': 'the installation-wide setting',
  'tenant admin API': 'the tenant’s setting',
};

/**
 * Enrolled or not, from the users list's row of this user (GET /users has it; the user's own
 * answers don't), and whether a Require 2FA policy holds them to it, when the caller may read
 * the policy: their home tenant's (ManageTenants, which includes the installation-wide one) or
 * the installation's (ManageSettings). Enrolled, how many recovery codes they have left (the
 * count of GET /users/:id/activity); not enrolled, where their last invitation or reset mail
 * stands (ManageUsers), since that link is how they get in to enrol.
 */
function TwoFactorStatus({ user, activity }: { user: UserView; activity?: Activity }) {
  const { can } = useSession();
  const row = useLoad(
    () => get<{ items: UserListItem[] }>(`/api/v1/users?search=${encodeURIComponent(user.email)}&limit=100`).then((page) => page.items.find((item) => item.id === user.id) ?? null),
    [user.id, user.email],
  );
  const readsTenant = can('ManageTenants') && user.homeTenant !== undefined;
  const readsGlobal = !readsTenant && can('ManageSettings');
  const policy = useLoad(
    () =>
      readsTenant
        ? get<AuthenticationPolicy>(`/api/v1/tenants/${encodeURIComponent(user.homeTenant!)}/settings/authentication`)
        : readsGlobal
          ? get<AuthenticationPolicy>('/api/v1/settings/authentication')
          : Promise.resolve(undefined),
    [readsTenant, readsGlobal, user.homeTenant],
  );
  const effective = policy.data?.effective;
  const where = readsTenant ? `in their home tenant ${user.homeTenant}` : 'installation-wide';
  return (
    <section className="card" aria-labelledby="two-factor-heading">
      <h2 id="two-factor-heading">Two-factor authentication</h2>
      <ErrorMessage error={row.error} />
      {row.data === undefined ? (
        !row.error && <Loading />
      ) : row.data === null ? (
        <p className="muted">Their two-factor status shows in the users list of a tenant they belong to.</p>
      ) : row.data.twoFactorEnabled ? (
        <>
          <p>
            <span className="badge badge-active">enrolled</span> They confirm each sign-in with an authenticator code (or a recovery code).
          </p>
          {activity && activity.recoveryCodesLeft !== null && (
            <p aria-label="Recovery codes left">
              <strong>{activity.recoveryCodesLeft}</strong> recovery code{activity.recoveryCodesLeft === 1 ? '' : 's'} left
              {activity.recoveryCodesLeft <= 2 ? ' — they should make new ones (Settings → Security) before they run out.' : '.'}
            </p>
          )}
        </>
      ) : (
        <>
          <p>
            <span className="badge">not enrolled</span> No second factor is asked at their sign-in.
          </p>
          {activity?.lastMail !== undefined && <LastMailState mail={activity.lastMail} />}
        </>
      )}
      {effective ? (
        <p>
          {effective.requireTwoFactor ? 'Required' : 'Not required'} {where} (set by {SOURCES[effective.sources.requireTwoFactor] ?? effective.sources.requireTwoFactor})
          {effective.requireTwoFactor ? ': without it they set it up at their next sign-in.' : '; a tenant they act in may still require it.'}
        </p>
      ) : (
        <ErrorMessage error={policy.error} />
      )}
      {!readsTenant && !readsGlobal && <p className="muted">Whether a policy requires it for them needs the ManageTenants or ManageSettings permission to read.</p>}
    </section>
  );
}

const MAIL_KINDS: Record<string, string> = { invitation: 'Invitation', password_reset: 'Password reset', account_created: 'Account notice' };

/** Where their newest invitation, reset or account mail stands (the Activity tab has its details and the hand-over link). */
function LastMailState({ mail }: { mail: Activity['lastMail'] }) {
  return (
    <p aria-label="Last invitation or reset mail">
      {mail === null ? (
        <span className="muted">No invitation or reset mail was sent to them.</span>
      ) : (
        <>
          {MAIL_KINDS[mail.kind] ?? mail.kind} mail, {formatTime(mail.createdAt)}: <StatusBadge status={mail.delivery} />
          {mail.delivery === 'sent' && <> {formatTime(mail.sentAt)}</>}
          {mail.delivery === 'queued' && <> — not sent yet ({mail.attempts} attempt(s))</>}
          {mail.lastError && mail.delivery !== 'cancelled' && <span className="muted"> Last error: {mail.lastError}</span>}
        </>
      )}
    </p>
  );
}

function SignInLockSection({ path }: { path: string }) {
  const lock = useLoad(() => get<SignInLock>(`${path}/sign-in-lock`), [path]);
  const [notice, setNotice] = useState<string>();
  const action = useAction();
  const unlock = () =>
    action.run(async () => {
      await del(`${path}/sign-in-lock`);
      setNotice('Unlocked: their next sign-in is checked as usual.');
      lock.reload();
    });
  const state = lock.data;
  return (
    <section className="card" aria-labelledby="lock-heading">
      <h2 id="lock-heading">Sign-in lock</h2>
      <p className="muted">
        Wrong passwords and codes in a row make the account wait, longer and longer, before the next attempt is checked; after too many it stays locked until unlocked here, or
        until the user signs in from a browser they signed in with before.
      </p>
      <ErrorMessage error={action.error ?? lock.error} />
      {!state ? (
        !lock.error && <Loading />
      ) : (
        <div className="actions">
          <StatusBadge status={state.state} />
          <span>
            {state.state === 'open' && (state.failures ? `${state.failures} failed attempt(s) in a row, not enough to wait.` : 'No failed attempts.')}
            {state.state === 'waiting' && `${state.failures} failed attempts in a row: the next one is checked after ${state.until ? new Date(state.until).toLocaleTimeString() : '—'}.`}
            {state.state === 'locked' && `Locked after ${state.failures} failed attempts in a row.`}
          </span>
          {state.state !== 'open' && (
            <button type="button" onClick={() => void unlock()} disabled={action.pending}>
              Unlock
            </button>
          )}
        </div>
      )}
      {notice && <Notice>{notice}</Notice>}
    </section>
  );
}

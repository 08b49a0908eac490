import { useState } from 'react';
import { del, post } from '../../api.ts';
import { ConfirmButton, ErrorMessage, formatTime, Notice, OneTimeSecret, useAction } from '../../components/ui.tsx';
import { navigate } from '../../router.tsx';
import { useMe } from '../../session.tsx';
import type { LoggedOutUser, ResetPasswordResult, TwoFactorReset, UserView } from '../../types.ts';

/** The account actions above every tab: suspend or re-activate, reset password or 2FA, sign out everywhere, delete. */
export function LifecycleActions({ user, path, onChange }: { user: UserView; path: string; onChange: () => void }) {
  const [reset, setReset] = useState<ResetPasswordResult>();
  const [notice, setNotice] = useState<string>();
  const action = useAction();
  const me = useMe();
  const self = me.user.id === user.id;
  // API tokens survive a reset and a forced sign-out unless the admin asks (docs/security.md).
  const [revokeTokensOnReset, setRevokeTokensOnReset] = useState(false);
  const [revokeTokensOnLogout, setRevokeTokensOnLogout] = useState(false);
  const resetPassword = async () => {
      setNotice(undefined);
      const result = await post<ResetPasswordResult & { revokedTokens?: number }>(`${path}/reset-password`, { revokeTokens: revokeTokensOnReset });
      setReset(result);
      // The user's last mail is now this one: show where it stands.
      if (result.delivery === 'queued') onChange();
      if (result.revokedTokens !== undefined) {
        setNotice(`Revoked ${result.revokedTokens} API token(s); redeeming the link revokes any made meanwhile.`);
        onChange();
      }
    };
  return (
    <section className="card" aria-label="Account actions">
      <div className="actions">
        {user.status === 'active' ? (
          !self && (
            <ConfirmButton label="Suspend" title={`Suspend ${user.email}?`} confirmLabel="Suspend user" danger onConfirm={async () => (await post(`${path}/suspend`), onChange())}>
              <p>They stay in the system, but can't sign in; their sessions and API tokens stop working at once. You can re-activate them later.</p>
            </ConfirmButton>
          )
        ) : (
          <button type="button" onClick={() => void action.run(async () => (await post(`${path}/reactivate`), onChange()))}>
            Re-activate
          </button>
        )}
        <ConfirmButton label="Reset password" title={`Reset the password of ${user.email}?`} confirmLabel="Send reset link" onConfirm={resetPassword}>
          <p>
            A one-time reset link is made for them: mailed when mail is configured, else shown here once for you to hand over. Any earlier reset link stops working. Their current
            password keeps working until they use the link; using it sets a new password and ends all their sessions.
          </p>
          <p>Their API tokens keep working, unless you revoke them too: then they stop now, and any made before the link is used are revoked with it.</p>
          <label className="checkbox">
            <input type="checkbox" checked={revokeTokensOnReset} onChange={(e) => setRevokeTokensOnReset(e.target.checked)} /> Also revoke all their API tokens
          </label>
        </ConfirmButton>
        {!self && (
          <ConfirmButton
            label="Sign out everywhere"
            title={`End every session of ${user.email}?`}
            confirmLabel="End sessions"
            onConfirm={async () => {
              const result = await post<LoggedOutUser>(`${path}/logout`, { revokeTokens: revokeTokensOnLogout });
              setNotice(`Ended ${result?.endedSessions ?? 'all'} session(s)${revokeTokensOnLogout ? ` and revoked ${result?.revokedTokens ?? 0} API token(s)` : ''}.`);
              onChange();
            }}
          >
            <p>They are signed out on every device now. Their API tokens keep working unless you revoke them too.</p>
            <label className="checkbox">
              <input type="checkbox" checked={revokeTokensOnLogout} onChange={(e) => setRevokeTokensOnLogout(e.target.checked)} /> Also revoke all their API tokens
            </label>
          </ConfirmButton>
        )}
        <ConfirmButton
          label="Reset 2FA"
          title={`Reset two-factor authentication of ${user.email}?`}
          confirmLabel="Reset 2FA"
          onConfirm={async () => {
            const result = await post<TwoFactorReset>(`${path}/reset-2fa`);
            setNotice(
              result.reenrolmentRequired
                ? 'Two-factor authentication was reset: the user must set it up again at next sign-in (and before anything else in a session they already have).'
                : 'The user had no two-factor authentication; nothing changed.',
            );
            onChange();
          }}
        >
          <p>Their authenticator and recovery codes are removed; they set up a new one at their next sign-in. Use this when they lost their device.</p>
        </ConfirmButton>
        {!self && (
          <ConfirmButton
            label="Delete user"
            title={`Delete ${user.email} permanently?`}
            confirmLabel="Delete permanently"
            danger
            onConfirm={async () => {
              await del(path);
              navigate('/admin/users');
            }}
          >
            <p>
              The user record is removed and can't be recovered. Their agents, workflows, memory and documents stay, without an owner, until an admin reassigns or purges them.
            </p>
          </ConfirmButton>
        )}
      </div>
      <ErrorMessage error={action.error} />
      {notice && <Notice>{notice}</Notice>}
      {reset &&
        (reset.delivery === 'queued' ? (
          <Notice>
            A password-reset mail is queued for {user.email}, not delivered yet; its link expires {formatTime(reset.expiresAt)}. The Activity tab shows when it goes out.
          </Notice>
        ) : (
          <OneTimeSecret
            title="Password-reset link"
            note={<>Mail isn't configured, so send this link to the user yourself. It works once and expires {formatTime(reset.expiresAt)}.</>}
            rows={[{ label: 'Reset link', value: reset.link }]}
          />
        ))}
    </section>
  );
}

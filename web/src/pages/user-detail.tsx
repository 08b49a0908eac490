import { useState, type FormEvent } from 'react';
import { del, get, patch, post, put } from '../api.ts';
import { SessionTable, TokenTable } from '../components/account-tables.tsx';
import { AuditTable } from '../components/audit-table.tsx';
import { AvatarImage, AvatarUpload } from '../components/avatar.tsx';
import { EffectivePermissionsSection } from '../components/effective-permissions.tsx';
import { ConfirmButton, ErrorMessage, Field, formatTime, Loading, Notice, OneTimeSecret, StatusBadge, useAction, useLoad } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import type { Activity, EffectivePermissions, HandedOverLink, MailDelivery, MovedUser, ResetPasswordResult, Role, SignInLock, TenantMembership, User } from '../types.ts';

/** Admin → Users → <user>: role per tenant, lifecycle, effective permissions, sign-in lock and account activity. */
export function UserDetailPage({ id }: { id: string }) {
  const { can } = useSession();
  const path = `/api/v1/users/${encodeURIComponent(id)}`;
  const user = useLoad(() => get<User>(path), [path]);
  const effective = useLoad(() => get<EffectivePermissions>(`${path}/effective-permissions`), [path]);
  const activity = useLoad(() => get<Activity>(`${path}/activity`), [path]);
  const reloadAll = () => {
    user.reload();
    effective.reload();
    activity.reload();
  };

  if (user.error) return <ErrorMessage error={user.error} />;
  if (!user.data) return <Loading />;
  const subject = user.data;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/users">Users</Link> / {subject.email}
      </p>
      <header className="page-header user-header">
        <AvatarImage src={`${path}/avatar`} name={subject.displayName || subject.email} updatedAt={activity.data?.avatarUpdatedAt} />
        <div>
          <h1>{subject.displayName || subject.email}</h1>
          <p className="muted">
            {subject.email} · home tenant {subject.homeTenant ?? '—'} · <StatusBadge status={subject.status} />
            {subject.mustChangePassword && <span className="badge">must change password</span>}
          </p>
        </div>
      </header>

      {can('ManageUsers') && <LifecycleActions user={subject} path={path} onChange={reloadAll} />}

      <div className="grid">
        <RolesPerTenant user={subject} path={path} effective={effective.data} error={effective.error} onChange={reloadAll} />
        <EffectivePermissionsSection path={path} effective={effective.data} />
      </div>

      {can('ManageUsers') && <ProfileEditor user={subject} path={path} onChange={reloadAll} />}
      {can('ManageUsers') && <MoveTenant key={subject.homeTenantId} user={subject} path={path} />}
      {can('ManageUsers') && <SignInLockSection path={path} />}

      <AccountActivity activity={activity.data} error={activity.error} userId={subject.id} onChange={activity.reload} />
    </>
  );
}

function LifecycleActions({ user, path, onChange }: { user: User; path: string; onChange: () => void }) {
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
              const result = await post<{ endedSessions?: number; revokedTokens?: number }>(`${path}/logout`, { revokeTokens: revokeTokensOnLogout });
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
            const result = await post<{ wasEnabled: boolean; reenrolmentRequired?: boolean }>(`${path}/reset-2fa`);
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
            A password-reset mail is queued for {user.email}, not delivered yet; its link expires {formatTime(reset.expiresAt)}. Account activity below shows when it goes out.
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

function RolesPerTenant({ user, path, effective, error, onChange }: { user: User; path: string; effective?: EffectivePermissions; error: unknown; onChange: () => void }) {
  const me = useMe();
  const assignable = me.tenants.filter((membership) => membership.permissions.includes('AssignRoles'));
  const memberOf = new Set(effective?.tenants.map((entry) => entry.tenantId));
  const addable = assignable.filter((membership) => !memberOf.has(membership.tenantId));
  return (
    <section className="card" aria-labelledby="roles-heading">
      <h2 id="roles-heading">Role per tenant</h2>
      <p className="muted">Role changes take effect on the user's next request.</p>
      <ErrorMessage error={error} />
      {!effective ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {effective.tenants.map((entry) => (
              <tr key={entry.tenantId}>
                <td>{entry.tenantSlug}</td>
                <td>
                  {assignable.some((membership) => membership.tenantId === entry.tenantId) ? (
                    <RoleSelector
                      path={path}
                      tenant={entry.tenantSlug}
                      current={entry.roleName}
                      removable={entry.tenantId !== user.homeTenantId}
                      onChange={onChange}
                    />
                  ) : (
                    entry.roleName
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {effective?.hiddenTenants ? (
        <p className="muted">
          They also hold a role in {effective.hiddenTenants} tenant{effective.hiddenTenants === 1 ? '' : 's'} where you can't see users; those aren't shown or counted here.
        </p>
      ) : null}
      {effective && addable.length > 0 && <AddToTenant key={addable.map((membership) => membership.tenantId).join()} path={path} tenants={addable} onChange={onChange} />}
    </section>
  );
}

function useRoles(tenant: string) {
  return useLoad(() => get<{ items: Role[] }>('/api/v1/roles', { tenant }), [tenant]);
}

function RoleSelector({ path, tenant, current, removable, onChange }: { path: string; tenant: string; current: string; removable: boolean; onChange: () => void }) {
  const roles = useRoles(tenant);
  const [role, setRole] = useState(current);
  const action = useAction();
  const save = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => (await put(`${path}/role`, { role }, { tenant }), onChange()));
  };
  return (
    <form className="inline" onSubmit={save}>
      <label htmlFor={`role-${tenant}`} className="visually-hidden">
        Role in {tenant}
      </label>
      <select id={`role-${tenant}`} value={role} onChange={(e) => setRole(e.target.value)}>
        {!roles.data && <option value={current}>{current}</option>}
        {roles.data?.items.map((item) => (
          <option key={item.id} value={item.name}>
            {item.name}
          </option>
        ))}
      </select>
      <button type="submit" className="small" disabled={action.pending || role === current}>
        Save role
      </button>
      {removable && (
        <ConfirmButton label="Remove" className="small" title={`Remove from tenant ${tenant}?`} confirmLabel="Remove from tenant" danger onConfirm={async () => (await del(`${path}/role`, { tenant }), onChange())}>
          <p>
            The user loses their role and every permission in {tenant}, from their next request there. Nobody is signed out: their sessions and API tokens keep working in their home
            tenant and any other tenant they belong to.
          </p>
        </ConfirmButton>
      )}
      <ErrorMessage error={action.error ?? roles.error} />
    </form>
  );
}

function AddToTenant({ path, tenants, onChange }: { path: string; tenants: TenantMembership[]; onChange: () => void }) {
  const [tenant, setTenant] = useState(tenants[0]!.tenantSlug);
  const roles = useRoles(tenant);
  const [role, setRole] = useState('Viewer');
  const action = useAction();
  const add = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => (await put(`${path}/role`, { role }, { tenant }), onChange()));
  };
  return (
    <form className="inline add-tenant" onSubmit={add} aria-label="Add to tenant">
      <Field label="Add to tenant">
        {(id) => (
          <select id={id} value={tenant} onChange={(e) => setTenant(e.target.value)}>
            {tenants.map((membership) => (
              <option key={membership.tenantId}>{membership.tenantSlug}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="With role">
        {(id) => (
          <select id={id} value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.data?.items.map((item) => (
              <option key={item.id}>{item.name}</option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={action.pending}>
        Add
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

function MoveTenant({ user, path }: { user: User; path: string }) {
  const me = useMe();
  // Moving needs ManageUsers where the user lives now (the acting tenant) and AssignRoles where they go.
  const targets = me.tenants.filter((membership) => membership.tenantId !== user.homeTenantId && membership.permissions.includes('AssignRoles'));
  const [tenant, setTenant] = useState(targets[0]?.tenantSlug ?? '');
  const [role, setRole] = useState('');
  const roles = useLoad(() => (tenant ? get<{ items: Role[] }>('/api/v1/roles', { tenant }) : Promise.resolve({ items: [] })), [tenant]);
  // The same checks and the same plan as the move itself, changing nothing: what they would hold where.
  const preview = useLoad(
    () => (tenant ? post<MovedUser>(`${path}/move`, { tenant, ...(role ? { role } : {}), dryRun: true }) : Promise.resolve(undefined)),
    [path, tenant, role],
  );
  const changes = preview.data?.roles.filter((entry) => entry.before !== entry.after) ?? [];
  if (targets.length === 0) return null;
  return (
    <section className="card" aria-labelledby="move-heading">
      <h2 id="move-heading">Move to another tenant</h2>
      <p className="muted">Changes the user's home tenant; the agents, workflows, memory and documents they own move with them.</p>
      <div className="inline">
        <Field label="Destination tenant">
          {(id) => (
            <select id={id} value={tenant} onChange={(e) => setTenant(e.target.value)}>
              {targets.map((membership) => (
                <option key={membership.tenantId}>{membership.tenantSlug}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Role there">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">Keep the current role</option>
              {roles.data?.items.map((item) => (
                <option key={item.id}>{item.name}</option>
              ))}
            </select>
          )}
        </Field>
        <ConfirmButton
          label="Move user"
          title={`Move ${user.email} to ${tenant}?`}
          confirmLabel="Move"
          onConfirm={async () => {
            await post(`${path}/move`, { tenant, ...(role ? { role } : {}) });
            // They leave this tenant: its user list no longer shows them.
            navigate('/admin/users');
          }}
        >
          <p>They leave this tenant for {tenant}, and the resources they own here move with them.</p>
          <MovePreview preview={preview.data} error={preview.error} changes={changes.length} />
        </ConfirmButton>
      </div>
    </section>
  );
}

/** The role the user would hold in each tenant after the move, with what changes from today. */
function MovePreview({ preview, error, changes }: { preview: MovedUser | undefined; error: unknown; changes: number }) {
  if (error) return <ErrorMessage error={error} />;
  if (!preview) return <Loading />;
  return (
    <>
      <table aria-label="Roles after the move">
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Role today</th>
            <th scope="col">Role after</th>
          </tr>
        </thead>
        <tbody>
          {preview.roles.map((entry) => (
            <tr key={entry.tenant}>
              <td>{entry.tenant}</td>
              <td>{entry.before ?? '(none)'}</td>
              <td>{entry.before !== entry.after ? <strong>{entry.after ?? '(none)'}</strong> : (entry.after ?? '(none)')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {changes > 0 && (
        <p className="warning" role="note">
          Their role changes in {changes} tenant{changes === 1 ? '' : 's'} (in bold).
        </p>
      )}
      <p className="muted">{preview.movedResources} resource(s) move with them.</p>
    </>
  );
}

function ProfileEditor({ user, path, onChange }: { user: User; path: string; onChange: () => void }) {
  const [email, setEmail] = useState(user.email);
  const [displayName, setDisplayName] = useState(user.displayName);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await patch(path, { email, displayName });
      setSaved(true);
      onChange();
    });
  };
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form className="inline" onSubmit={save}>
        <Field label="Email">{(id) => <input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
        <Field label="Display name">{(id) => <input id={id} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}</Field>
        <button type="submit" disabled={action.pending}>
          Save profile
        </button>
      </form>
      <ErrorMessage error={action.error} />
      {saved && <Notice>Profile saved.</Notice>}
      <AvatarUpload path={`${path}/avatar`} onChange={onChange} />
    </section>
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

function AccountActivity({ activity, error, userId, onChange }: { activity?: Activity; error: unknown; userId: string; onChange: () => void }) {
  const { can } = useSession();
  const manage = can('ManageUsers');
  const action = useAction();
  return (
    <section className="card" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Account activity</h2>
      <ErrorMessage error={error ?? action.error} />
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

          <h3>Single sign-on</h3>
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

          {activity.lastMail !== undefined && manage && <LastMail mail={activity.lastMail} userId={userId} onChange={onChange} />}

          <h3>Active sessions</h3>
          {activity.sessions.length === 0 ? (
            <p className="muted">No active sessions.</p>
          ) : (
            <SessionTable
              label="Active sessions"
              sessions={activity.sessions}
              actions={
                manage
                  ? (session) => (
                      <ConfirmButton
                        label="Revoke"
                        className="small"
                        title="Revoke this session?"
                        confirmLabel="Revoke session"
                        danger
                        onConfirm={async () => (await del(`/api/v1/users/${encodeURIComponent(userId)}/sessions/${encodeURIComponent(session.id)}`), onChange())}
                      >
                        <p>
                          The session {session.device ? `on ${session.device} ` : ''}signed in {formatTime(session.createdAt)}
                          {session.ip ? ` from ${session.ip}` : ''} ends now: that device is signed out at its next request. Their other sessions and their API tokens keep working.
                        </p>
                      </ConfirmButton>
                    )
                  : undefined
              }
            />
          )}

          <h3>API tokens</h3>
          {activity.tokens.length === 0 ? (
            <p className="muted">No API tokens.</p>
          ) : (
            <TokenTable
              label="API tokens"
              tokens={activity.tokens}
              actions={
                manage
                  ? (token) =>
                      token.revokedAt ? (
                        <span className="badge">revoked</span>
                      ) : (
                        <ConfirmButton
                          label="Revoke"
                          className="small"
                          title={`Revoke the token ${token.name}?`}
                          confirmLabel="Revoke token"
                          danger
                          onConfirm={async () => (await del(`/api/v1/tokens/${encodeURIComponent(token.id)}`), onChange())}
                        >
                          <p>Anything using this token loses access at once; it can't be restored (they can create a new one). Their sessions and other tokens keep working.</p>
                        </ConfirmButton>
                      )
                  : undefined
              }
            />
          )}

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

const MAIL_KINDS: Record<MailDelivery['kind'], string> = { invitation: 'Invitation', password_reset: 'Password reset', account_created: 'Account notice (no credential)' };

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

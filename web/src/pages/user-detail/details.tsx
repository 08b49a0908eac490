import { useState, type FormEvent } from 'react';
import { get, patch, post } from '../../api.ts';
import { AvatarUpload } from '../../components/avatar.tsx';
import { ConfirmButton, ErrorMessage, Field, Loading, Notice, useAction, useLoad } from '../../components/ui.tsx';
import { navigate } from '../../router.tsx';
import { useMe, useSession } from '../../session.tsx';
import type { MovedUser, Role, UserView } from '../../types.ts';

/** The Details tab: profile and avatar, and the move to another tenant (both need ManageUsers). */
export function DetailsTab({ user, path, onChange }: { user: UserView; path: string; onChange: () => void }) {
  const { can } = useSession();
  if (!can('ManageUsers')) {
    return (
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="details">
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Display name</dt>
          <dd>{user.displayName || '—'}</dd>
          <dt>Home tenant</dt>
          <dd>{user.homeTenant ?? '—'}</dd>
        </dl>
      </section>
    );
  }
  return (
    <>
      <ProfileEditor user={user} path={path} onChange={onChange} />
      <MoveTenant key={user.homeTenantId} user={user} path={path} />
    </>
  );
}

function ProfileEditor({ user, path, onChange }: { user: UserView; path: string; onChange: () => void }) {
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

function MoveTenant({ user, path }: { user: UserView; path: string }) {
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


import { useState, type FormEvent } from 'react';
import { del, get, put } from '../../api.ts';
import { EffectivePermissionsSection } from '../../components/effective-permissions.tsx';
import { AssignmentEnd, useAssignmentLength, type AssignmentTerm } from '../../components/assignment-term.tsx';
import { ConfirmButton, ErrorMessage, Field, Loading, useAction, useLoad } from '../../components/ui.tsx';
import { useMe } from '../../session.tsx';
import type { EffectivePermissions, Role, TenantMembership, UserView } from '../../types.ts';

/** The Roles per tenant tab: the role they hold in each tenant (changed, removed or added here) and what it grants. */
export function RolesTab({ user, path, effective, error, onChange }: { user: UserView; path: string; effective?: EffectivePermissions; error: unknown; onChange: () => void }) {
  return (
    <div className="grid">
      <RolesPerTenant user={user} path={path} effective={effective} error={error} onChange={onChange} />
      <EffectivePermissionsSection path={path} effective={effective} />
    </div>
  );
}

function RolesPerTenant({ user, path, effective, error, onChange }: { user: UserView; path: string; effective?: EffectivePermissions; error: unknown; onChange: () => void }) {
  const me = useMe();
  const assignable = me.tenants.filter((membership) => membership.permissions.includes('AssignRoles'));
  const memberOf = new Set(effective?.tenants.map((entry) => entry.tenantId));
  const addable = assignable.filter((membership) => !memberOf.has(membership.tenantId));
  return (
    <section className="card" aria-labelledby="roles-heading">
      <h2 id="roles-heading">Role per tenant</h2>
      <p className="muted">Role changes take effect on the user's next request. A role given for a while is worn over their usual role, which applies again at its end.</p>
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
                  <AssignmentEnd term={entry as TenantMembership & AssignmentTerm} />
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
  const length = useAssignmentLength();
  const action = useAction();
  const save = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => (await put(`${path}/role`, { role, ...length.value }, { tenant }), length.reset(), onChange()));
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
      {length.fields(`How long in ${tenant}`)}
      <button type="submit" className="small" disabled={action.pending || (role === current && length.permanent) || length.invalid}>
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
    // A new member's role is permanent: a time-bound one is worn over it (ELEVATION_NEEDS_MEMBERSHIP).
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

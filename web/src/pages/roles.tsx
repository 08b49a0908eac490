import { useState, type FormEvent } from 'react';
import { del, get, patch, post } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import type { PermissionCatalogue, Role } from '../types.ts';

/** Admin → Roles: built-in and custom roles usable in the acting tenant. */
export function RolesPage() {
  const { can } = useSession();
  const roles = useLoad(() => get<{ items: Role[] }>('/api/v1/roles'), []);
  return (
    <>
      <header className="page-header">
        <h1>Roles</h1>
        {can('ManageRoles') && (
          <Link to="/admin/roles/new" className="button primary">
            New role
          </Link>
        )}
      </header>
      <ErrorMessage error={roles.error} />
      {!roles.data ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Scope</th>
              <th scope="col">Permissions</th>
              <th scope="col">Holders</th>
            </tr>
          </thead>
          <tbody>
            {roles.data.items.map((role) => (
              <tr key={role.id}>
                <td>
                  <Link to={`/admin/roles/${encodeURIComponent(role.id)}`}>{role.name}</Link> {role.builtIn && <span className="badge">built-in</span>}
                </td>
                <td className="muted">{role.description || '—'}</td>
                <td>{role.builtIn ? 'all tenants' : role.scope === 'global' ? 'global' : 'this tenant'}</td>
                <td>{role.permissions.length}</td>
                <td>
                  <HoldersLink role={role} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The holders count, a link to the users list filtered by the role. */
function HoldersLink({ role, children }: { role: Role; children?: string }) {
  return (
    <Link to={`/admin/users?role=${encodeURIComponent(role.name)}`} title={`List the users holding ${role.name}`}>
      {children ?? String(role.usedBy)}
    </Link>
  );
}

/** New role, or a role's page: the permission matrix grouped as the catalogue; built-ins are read-only. */
export function RoleEditorPage({ id }: { id?: string }) {
  const catalogue = useLoad(() => get<PermissionCatalogue>('/api/v1/permissions'), []);
  const role = useLoad(() => (id ? get<Role>(`/api/v1/roles/${encodeURIComponent(id)}`) : Promise.resolve(undefined)), [id]);
  if (catalogue.error || role.error) return <ErrorMessage error={catalogue.error ?? role.error} />;
  if (!catalogue.data || (id && !role.data)) return <Loading />;
  return <RoleForm key={role.data?.id ?? 'new'} catalogue={catalogue.data} role={role.data} />;
}

function RoleForm({ catalogue, role }: { catalogue: PermissionCatalogue; role?: Role }) {
  const me = useMe();
  const { can } = useSession();
  const readOnly = role?.builtIn === true || !can('ManageRoles');
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [scope, setScope] = useState<'tenant' | 'global'>(role?.scope ?? 'tenant');
  const [selected, setSelected] = useState(() => new Set(role?.permissions ?? []));
  const action = useAction();
  // Nobody can grant a permission they don't hold: those boxes are disabled.
  const held = new Set(me.tenant?.permissions ?? []);

  const toggle = (permission: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(permission);
      else next.delete(permission);
      return next;
    });

  const ordered = () => catalogue.groups.flatMap((group) => group.permissions.map((permission) => permission.name)).filter((name) => selected.has(name));

  const store = async () => {
    if (role) await patch(`/api/v1/roles/${encodeURIComponent(role.id)}`, { name, description, permissions: ordered() });
    else await post('/api/v1/roles', { name, description, scope, permissions: ordered() });
    navigate('/admin/roles');
  };
  // Permissions taken from people who hold the role now: saving asks first, naming them.
  const removed = role && !readOnly ? role.permissions.filter((permission) => !selected.has(permission)) : [];
  const warnHolders = role !== undefined && role.usedBy > 0 && removed.length > 0;
  const save = (event: FormEvent) => {
    event.preventDefault();
    // Enter in a field while the warning is due opens its dialog, not around it.
    if (warnHolders) {
      (event.currentTarget as HTMLFormElement).querySelector<HTMLButtonElement>('[data-save-role] > button')?.click();
      return;
    }
    void action.run(store);
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/roles">Roles</Link> / {role ? role.name : 'New role'}
      </p>
      <header className="page-header">
        <h1>{role ? (readOnly ? role.name : `Edit role ${role.name}`) : 'New role'}</h1>
        {role && !readOnly && (
          <ConfirmButton
            label="Delete role"
            title={`Delete role ${role.name}?`}
            confirmLabel="Delete role"
            danger
            onConfirm={async () => {
              await del(`/api/v1/roles/${encodeURIComponent(role.id)}`);
              navigate('/admin/roles');
            }}
          >
            <p>{role.usedBy > 0 ? `${role.usedBy} user(s) hold this role: give them another role first.` : 'No one holds this role.'}</p>
          </ConfirmButton>
        )}
      </header>
      {role?.builtIn && <p className="message info">Built-in roles are fixed, so Admin can't be unlocked by accident. Create a custom role for a variant.</p>}
      {role && (
        <p>
          <HoldersLink role={role}>{`${role.usedBy} ${role.usedBy === 1 ? 'user holds' : 'users hold'} this role${me.tenant ? ` in ${me.tenant.slug}` : ''}`}</HoldersLink>
          {role.scope === 'global' && !role.builtIn ? <span className="muted"> (a global role: holders in other tenants count there)</span> : null}
        </p>
      )}
      <form className="card form wide" onSubmit={save} aria-label={role ? 'Edit role' : 'New role'}>
        <Field label="Name" hint="For example finance-auditor or workflow-editor; unique within the tenant.">
          {(id) => <input id={id} required readOnly={readOnly} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description">{(id) => <textarea id={id} rows={2} readOnly={readOnly} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
        {!role && (
          <fieldset>
            <legend>Tenant scope</legend>
            <label className="checkbox">
              <input type="radio" name="scope" checked={scope === 'tenant'} onChange={() => setScope('tenant')} /> Only tenant {me.tenant?.slug}
            </label>
            <label className="checkbox">
              <input type="radio" name="scope" checked={scope === 'global'} onChange={() => setScope('global')} /> Global: every tenant
            </label>
          </fieldset>
        )}
        <h2>Permissions</h2>
        <p className="muted">
          {readOnly ? `${selected.size} granted.` : `${selected.size} selected.`} New permissions added to the catalogue later are never granted to existing custom roles.
        </p>
        {readOnly ? (
          <GrantedPermissions catalogue={catalogue} granted={selected} />
        ) : (
          <div className="matrix">
            {catalogue.groups.map((group) => (
              <fieldset key={group.group} className="matrix-group">
                <legend>{group.group}</legend>
                {group.permissions.map((permission) => {
                  const ungrantable = !held.has(permission.name) && !selected.has(permission.name);
                  return (
                    <label key={permission.name} className="checkbox permission" title={ungrantable ? "You can't grant a permission you don't hold" : undefined}>
                      <input
                        type="checkbox"
                        name={permission.name}
                        checked={selected.has(permission.name)}
                        disabled={ungrantable}
                        onChange={(e) => toggle(permission.name, e.target.checked)}
                      />
                      <span>
                        <span className="permission-name">{permission.name}</span>
                        <small className="muted">{permission.description}</small>
                      </span>
                    </label>
                  );
                })}
              </fieldset>
            ))}
          </div>
        )}
        <ErrorMessage error={action.error} />
        {!readOnly && (
          <div className="actions">
            {warnHolders ? (
              <span data-save-role>
                <ConfirmButton label="Save role" className="primary" title={`Take permissions from the holders of ${role.name}?`} confirmLabel="Save and remove permissions" danger onConfirm={store}>
                  <p>
                    {role.usedBy} {role.usedBy === 1 ? 'user holds' : 'users hold'} this role{me.tenant ? ` in ${me.tenant.slug}` : ''}; they lose {removed.join(', ')}.
                  </p>
                  <p className="muted">
                    It applies from their next request; nobody is signed out.{role.scope === 'global' ? " A global role: its holders in every other tenant lose them too." : ''}
                  </p>
                </ConfirmButton>
              </span>
            ) : (
              <button type="submit" className="primary" disabled={action.pending}>
                {role ? 'Save role' : 'Create role'}
              </button>
            )}
            <Link to="/admin/roles" className="button">
              Cancel
            </Link>
          </div>
        )}
      </form>
    </>
  );
}

/** A read-only role's permissions, group by group: each granted one with a check mark and its name, the others named as not granted. */
function GrantedPermissions({ catalogue, granted }: { catalogue: PermissionCatalogue; granted: Set<string> }) {
  return (
    <div className="matrix">
      {catalogue.groups.map((group) => {
        const held = group.permissions.filter((permission) => granted.has(permission.name));
        const missing = group.permissions.filter((permission) => !granted.has(permission.name));
        return (
          <section key={group.group} className="matrix-group" aria-label={`${group.group} permissions`}>
            <h3>{group.group}</h3>
            <ul className="granted-permissions" aria-label={`Granted in ${group.group}`}>
              {held.map((permission) => (
                <li key={permission.name} className="permission">
                  <span aria-hidden="true" className="granted-mark">
                    ✓
                  </span>
                  <span>
                    <span className="permission-name">{permission.name}</span>
                    <small className="muted">{permission.description}</small>
                  </span>
                </li>
              ))}
              {held.length === 0 && <li className="muted">None of this group</li>}
            </ul>
            {missing.length > 0 && <p className="muted">Not granted: {missing.map((permission) => permission.name).join(', ')}</p>}
          </section>
        );
      })}
    </div>
  );
}

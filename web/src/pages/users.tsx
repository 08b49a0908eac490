import { useState, type FormEvent } from 'react';
import { download, get, post, query } from '../api.ts';
import { ErrorMessage, Field, formatTime, Loading, OneTimeSecret, Pager, StatusBadge, useAction, useLoad, usePages } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import type { CreatedUser, Page, Role, User } from '../types.ts';

const PAGE_SIZE = 25;

/** Admin → Users: the tenant's users, searchable, a page at a time. */
export function UsersPage() {
  const { can } = useSession();
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const pages = usePages();
  const exporting = useAction();
  const users = useLoad(() => get<Page<User>>('/api/v1/users' + query({ search: applied, cursor: pages.cursor, limit: PAGE_SIZE })), [applied, pages.cursor]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setApplied(search.trim());
  };

  return (
    <>
      <header className="page-header">
        <h1>Users</h1>
        <div className="actions">
          {can('ViewUsers') && <ExportUsers action={exporting} />}
          {can('ManageUsers') && (
            <Link to="/admin/users/import" className="button">
              Import CSV
            </Link>
          )}
          {can('ManageUsers') && (
            <Link to="/admin/users/new" className="button primary">
              New user
            </Link>
          )}
        </div>
      </header>
      <ErrorMessage error={exporting.error} />
      <form className="toolbar" role="search" onSubmit={submit}>
        <label htmlFor="user-search" className="visually-hidden">
          Search users
        </label>
        <input id="user-search" type="search" placeholder="Search by email or name" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      <ErrorMessage error={users.error} />
      {users.loading && !users.data ? (
        <Loading />
      ) : users.data && users.data.items.length === 0 ? (
        <p className="muted">{applied ? `No user matches “${applied}”.` : 'No users yet.'}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Home tenant</th>
              <th scope="col">Status</th>
              <th scope="col">Last login</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.items.map((user) => (
              <tr key={user.id}>
                <td>
                  <Link to={`/admin/users/${encodeURIComponent(user.id)}`}>{user.displayName || user.email}</Link>
                </td>
                <td>{user.email}</td>
                <td>{user.role ?? '—'}</td>
                <td>{user.homeTenant ?? '—'}</td>
                <td>
                  <StatusBadge status={user.status} />
                </td>
                <td>{formatTime(user.lastLoginAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pageNumber={pages.pageNumber} nextCursor={users.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </>
  );
}

/**
 * Export CSV: the acting tenant's users as `GET /api/v1/users/export` writes them (an export
 * imports as it is); with ViewUsers in several tenants, also every one of them at once. With a
 * UTF-8 byte-order mark, so Excel, opening it with a double click, shows "René" rather than "RenÃ©".
 */
function ExportUsers({ action }: { action: ReturnType<typeof useAction> }) {
  const me = useMe();
  const viewable = me.tenants.filter((membership) => membership.permissions.includes('ViewUsers'));
  const save = (allTenants: boolean) =>
    action.run(async () => {
      await download('/api/v1/users/export' + query({ allTenants: allTenants ? 'true' : undefined, bom: 'true' }), allTenants ? 'users-all-tenants.csv' : `users-${me.tenant?.slug ?? 'tenant'}.csv`);
    });
  return (
    <>
      <button type="button" onClick={() => void save(false)} disabled={action.pending}>
        Export CSV
      </button>
      {viewable.length > 1 && (
        <button type="button" onClick={() => void save(true)} disabled={action.pending} title="One row per membership, in every tenant where you may view users">
          Export all tenants
        </button>
      )}
    </>
  );
}

/** Admin → Users → New: the seed's fields; a generated password is shown once, or (with mail) the invitation is said to be queued. */
export function NewUserPage() {
  const me = useMe();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [tenant, setTenant] = useState(me.tenant?.slug ?? '');
  const [role, setRole] = useState('Viewer');
  const [passwordMode, setPasswordMode] = useState<'generate' | 'paste'>('generate');
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState<{ result: CreatedUser; password: string }>();
  const action = useAction();

  // Tenants the caller may create users in: the ones where they hold ManageUsers.
  const tenants = me.tenants.filter((membership) => membership.permissions.includes('ManageUsers'));
  // Roles usable in the chosen tenant.
  const roles = useLoad(() => get<{ items: Role[] }>('/api/v1/roles', { tenant }), [tenant]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const result = await post<CreatedUser>(
        '/api/v1/users',
        { email, displayName, role, tenant, ...(passwordMode === 'paste' ? { password } : {}) },
        { tenant },
      );
      setCreated({ result, password: result.oneTimePassword ?? password });
      setPassword('');
    });
  };

  if (created) {
    const { user, passwordExpiresAt } = created.result;
    return (
      <>
        <header className="page-header">
          <h1>User created</h1>
        </header>
        <p role="status">
          <strong>{user.displayName || user.email}</strong> was added to tenant <strong>{user.homeTenant ?? tenant}</strong> as <strong>{user.role ?? role}</strong>.
        </p>
        {created.result.invitation ? (
          // Queued is not delivered: the user page tells when it went out, or why not.
          <p className="message info" role="status" aria-label="Invitation delivery">
            An invitation with a one-time link is <strong>queued</strong> for {user.email}, not delivered yet; the link expires {formatTime(created.result.invitation.expiresAt)}. The
            user page shows when the mail goes out, or why it doesn't — and gives you a link to hand over yourself if it can't reach them.
          </p>
        ) : (
          <>
            <OneTimeSecret
              title="One-time credentials"
              note={
                <>
                  Shown only this once: copy them to the user now. They must choose their own password at first sign-in
                  {passwordExpiresAt ? <>, before {formatTime(passwordExpiresAt)}</> : null}.
                </>
              }
              rows={[
                { label: 'Email', value: user.email },
                { label: 'One-time password', value: created.password },
              ]}
            />
            {created.result.notice && (
              <p className="muted" role="status">
                A notice without the password is queued for {user.email}: it tells them an administrator will give them their password. Hand it over yourself.
              </p>
            )}
          </>
        )}
        <div className="actions">
          <Link to={`/admin/users/${encodeURIComponent(user.id)}`} className="button primary">
            Open user
          </Link>
          <Link to="/admin/users" className="button">
            Back to users
          </Link>
        </div>
      </>
    );
  }

  return (
    <>
      <header className="page-header">
        <h1>New user</h1>
      </header>
      <form className="card form" onSubmit={submit} aria-label="New user">
        <Field label="Email" hint="The sign-in identity; it must be unique.">
          {(id) => <input id={id} type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Display name">{(id) => <input id={id} required value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}</Field>
        <Field label="Tenant">
          {(id) => (
            <select id={id} value={tenant} onChange={(e) => setTenant(e.target.value)}>
              {tenants.map((membership) => (
                <option key={membership.tenantId} value={membership.tenantSlug}>
                  {membership.tenantSlug}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Role" hint="Built-in roles first, then the custom roles usable in this tenant.">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value)} disabled={!roles.data}>
              {roles.data?.items.map((item) => (
                <option key={item.id} value={item.name}>
                  {item.name}
                  {item.builtIn ? ' (built-in)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <fieldset>
          <legend>Initial password</legend>
          <label className="checkbox">
            <input type="radio" name="password-mode" checked={passwordMode === 'generate'} onChange={() => setPasswordMode('generate')} /> Generate one
          </label>
          <label className="checkbox">
            <input type="radio" name="password-mode" checked={passwordMode === 'paste'} onChange={() => setPasswordMode('paste')} /> Paste one
          </label>
          {passwordMode === 'paste' && (
            <Field label="Initial password" hint="The user must change it at first sign-in.">
              {(id) => <input id={id} type="text" autoComplete="off" spellCheck={false} required value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
          )}
        </fieldset>
        <ErrorMessage error={action.error ?? roles.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={action.pending}>
            Create user
          </button>
          <Link to="/admin/users" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}

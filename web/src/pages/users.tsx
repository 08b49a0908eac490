import { useEffect, useRef, useState, type FormEvent } from 'react';
import { download, get, post, query } from '../api.ts';
import { BulkReportView, countUsers, UserBulkActions, type BulkReport } from '../components/user-bulk-actions.tsx';
import { ErrorMessage, Field, formatTime, Loading, OneTimeSecret, StatusBadge, useAction, useLoad } from '../components/ui.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import type { CreatedUser, Page, Role, UserListItem } from '../types.ts';

const PAGE_SIZE = 25;

/** The filters of GET /api/v1/users, as the page's address holds them (so a filtered view can be linked, and survives a reload). */
const FILTERS = ['search', 'role', 'status', 'twoFactor', 'sso', 'lastSignInAfter', 'lastSignInBefore', 'homeTenant'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const readFilters = (search: URLSearchParams): Filters => Object.fromEntries(FILTERS.map((name) => [name, search.get(name) ?? ''])) as Filters;

/** A date input's day as the instant it starts in the browser's zone; an unreadable one goes as it is, for the API to name the field. */
function dayStart(day: string): string | undefined {
  if (!day) return undefined;
  const start = new Date(`${day}T00:00`);
  return Number.isNaN(start.getTime()) ? day : start.toISOString();
}

/** The list's order, as the address holds it (`sort`, `order`): none is creation order, oldest first. */
type SortKey = 'created' | 'email' | 'name' | 'lastSignIn';
interface Sorting {
  sort?: SortKey;
  order?: 'asc' | 'desc';
}
const SORT_KEYS: readonly SortKey[] = ['created', 'email', 'name', 'lastSignIn'];
function readSorting(search: URLSearchParams): Sorting {
  const sort = search.get('sort') as SortKey | null;
  if (!sort || !SORT_KEYS.includes(sort)) return {};
  return { sort, order: search.get('order') === 'desc' ? 'desc' : 'asc' };
}

const listPath = (filters: Filters, sorting: Sorting, cursor?: string) =>
  '/api/v1/users' +
  query({ ...filters, ...sorting, search: filters.search.trim(), lastSignInAfter: dayStart(filters.lastSignInAfter), lastSignInBefore: dayStart(filters.lastSignInBefore), cursor, limit: PAGE_SIZE });

/**
 * The pages of the list loaded so far ("Load more" adds the next one by its cursor); a change of
 * `key` (the filters) or `reload` starts again from the first.
 */
function useUserPages(key: string, load: (cursor?: string) => Promise<Page<UserListItem>>) {
  const [loaded, setLoaded] = useState<{ key: string; items: UserListItem[]; nextCursor: string | null }>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((page) => {
        if (!current) return;
        setLoaded({ key, ...page });
        setError(undefined);
      })
      .catch((failure: unknown) => current && setError(failure))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);
  const loadMore = async () => {
    const cursor = loaded?.nextCursor;
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await load(cursor);
      setLoaded((current) => (current && current.key === key && current.nextCursor === cursor ? { key, items: [...current.items, ...page.items], nextCursor: page.nextCursor } : current));
      setError(undefined);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };
  return { items: loaded?.items, nextCursor: loaded?.nextCursor ?? null, error, loading, loadMore, reload: () => setGeneration((value) => value + 1) };
}

/**
 * Admin → Users: the tenant's users, in creation order or sorted by a column through the API
 * (keyset pages, see docs/dashboard.md), filtered by the API's filters, with bulk actions on the
 * selected rows.
 */
export function UsersPage() {
  const { can } = useSession();
  const me = useMe();
  const location = useLocation();
  const applied = readFilters(location.search);
  const sorting = readSorting(location.search);
  const key = JSON.stringify([me.tenant?.slug, applied, sorting]);
  const [draft, setDraft] = useState(applied);
  useEffect(() => setDraft(readFilters(location.search)), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const exporting = useAction();
  const users = useUserPages(key, (cursor) => get<Page<UserListItem>>(listPath(applied, sorting, cursor)));
  const roles = useLoad(() => get<{ items: Role[] }>('/api/v1/roles'), [me.tenant?.slug]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [report, setReport] = useState<BulkReport>();
  useEffect(() => setSelected(new Set()), [key]);

  const canManageUsers = can('ManageUsers');
  const canAssignRoles = can('AssignRoles');
  const selectable = canManageUsers || canAssignRoles;
  const filtered = FILTERS.some((name) => applied[name] !== '');
  const items = users.items ?? [];
  const selectedUsers = items.filter((user) => selected.has(user.id));
  const homeTenants = [...new Set([...me.tenants.map((membership) => membership.tenantSlug), ...(applied.homeTenant ? [applied.homeTenant] : [])])].sort();

  const apply = (filters: Filters, order: Sorting = sorting) => navigate('/admin/users' + query({ ...filters, ...order, search: filters.search.trim() }));
  /** A header's click: that column ascending (dates newest first), or the other way when it is already the order. */
  const sortBy = (column: SortKey) => {
    const first = column === 'lastSignIn' || column === 'created' ? 'desc' : 'asc';
    const order = sorting.sort === column ? (sorting.order === 'asc' ? 'desc' : 'asc') : first;
    apply(applied, { sort: column, order });
  };
  const header = (column: SortKey, label: string) => <SortHeader column={column} label={label} sorting={sorting} onSort={sortBy} />;
  const choose = (name: keyof Filters, value: string) => {
    const next = { ...draft, [name]: value };
    setDraft(next);
    apply(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };
  const toggle = (userId: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(userId);
      else next.delete(userId);
      return next;
    });
  const finished = (done: BulkReport) => {
    setReport(done);
    setSelected(new Set());
    users.reload();
  };

  const select = (name: keyof Filters, label: string, options: [string, string][]) => (
    <Field label={label}>
      {(id) => (
        <select id={id} value={draft[name]} onChange={(e) => choose(name, e.target.value)}>
          {options.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );

  return (
    <>
      <header className="page-header">
        <h1>Users</h1>
        <div className="actions">
          {can('ViewUsers') && <ExportUsers action={exporting} />}
          {canManageUsers && (
            <Link to="/admin/users/import" className="button">
              Import CSV
            </Link>
          )}
          {canManageUsers && (
            <Link to="/admin/users/new" className="button primary">
              New user
            </Link>
          )}
        </div>
      </header>
      <ErrorMessage error={exporting.error} />
      <form className="card filters" role="search" aria-label="User filters" onSubmit={submit}>
        <Field label="Search users" hint="Part of an email or name">
          {(id) => <input id={id} type="search" value={draft.search} onChange={(e) => setDraft({ ...draft, search: e.target.value })} />}
        </Field>
        {select('role', 'Role', [['', 'Any role'], ...(roles.data?.items ?? []).map((role): [string, string] => [role.name, role.name]), ...(applied.role && !roles.data?.items.some((role) => role.name === applied.role) ? [[applied.role, applied.role] as [string, string]] : [])])}
        {select('status', 'Status', [
          ['', 'Any status'],
          ['active', 'Active'],
          ['suspended', 'Suspended'],
        ])}
        {select('twoFactor', '2FA', [
          ['', 'Any'],
          ['enrolled', 'Enrolled'],
          ['not_enrolled', 'Not enrolled'],
        ])}
        {select('sso', 'SSO', [
          ['', 'Any'],
          ['linked', 'Linked'],
          ['not_linked', 'Not linked'],
        ])}
        {select('homeTenant', 'Home tenant', [['', 'Any home tenant'], ...homeTenants.map((slug): [string, string] => [slug, slug])])}
        <Field label="Last sign-in on or after">{(id) => <input id={id} type="date" value={draft.lastSignInAfter} onChange={(e) => choose('lastSignInAfter', e.target.value)} />}</Field>
        <Field label="Last sign-in before">{(id) => <input id={id} type="date" value={draft.lastSignInBefore} onChange={(e) => choose('lastSignInBefore', e.target.value)} />}</Field>
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
          {filtered && (
            <button type="button" onClick={() => navigate('/admin/users')}>
              Clear filters
            </button>
          )}
        </div>
      </form>
      {report && <BulkReportView report={report} onDismiss={() => setReport(undefined)} />}
      <ErrorMessage error={users.error} />
      {!users.items ? (
        users.loading ? (
          <Loading />
        ) : null
      ) : items.length === 0 ? (
        <p className="muted">{filtered ? 'No user matches these filters.' : 'No users yet.'}</p>
      ) : (
        <>
          <p className="muted" role="status" aria-label="Users shown">
            {countUsers(items.length)} shown{users.nextCursor ? ', more to load' : ''}
          </p>
          {selectable && <UserBulkActions selected={selectedUsers} roles={roles.data?.items} canManageUsers={canManageUsers} canAssignRoles={canAssignRoles} onFinished={finished} />}
          <div className="table-wrap">
            <table aria-label="Users">
              <thead>
                <tr>
                  {selectable && (
                    <th scope="col">
                      <SelectAll count={selectedUsers.length} total={items.length} onChange={(on) => setSelected(new Set(on ? items.map((user) => user.id) : []))} />
                    </th>
                  )}
                  {header('name', 'Name')}
                  {header('email', 'Email')}
                  <th scope="col">Role</th>
                  <th scope="col">Home tenant</th>
                  <th scope="col">Status</th>
                  <th scope="col">2FA</th>
                  <th scope="col">SSO</th>
                  {header('lastSignIn', 'Last sign-in')}
                  {header('created', 'Created')}
                </tr>
              </thead>
              <tbody>
                {items.map((user) => (
                  <tr key={user.id}>
                    {selectable && (
                      <td>
                        <input type="checkbox" aria-label={`Select ${user.email}`} checked={selected.has(user.id)} onChange={(e) => toggle(user.id, e.target.checked)} />
                      </td>
                    )}
                    <td>
                      <Link to={`/admin/users/${encodeURIComponent(user.id)}`}>{user.displayName || user.email}</Link>
                    </td>
                    <td>{user.email}</td>
                    <td>{user.role ?? '—'}</td>
                    <td>{user.homeTenant}</td>
                    <td>
                      <StatusBadge status={user.status} />
                    </td>
                    <td>{user.twoFactorEnabled ? <span className="badge badge-success">enrolled</span> : <span className="badge">not{'\u00a0'}enrolled</span>}</td>
                    <td>{user.ssoLinked ? <span className="badge badge-success">linked</span> : <span className="muted">not{'\u00a0'}linked</span>}</td>
                    <td>{formatTime(user.lastLoginAt)}</td>
                    <td>{formatTime(user.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {users.nextCursor && (
            <div className="actions">
              <button type="button" onClick={() => void users.loadMore()} disabled={users.loading}>
                Load more
              </button>
            </div>
          )}
        </>
      )}
    </>
  );
}

/**
 * A sortable column's header: a button that orders the list by it through the API (every page,
 * not only the rows loaded), with `aria-sort` saying the current order; creation order, the
 * default, is "Created" ascending.
 */
function SortHeader({ column, label, sorting, onSort }: { column: SortKey; label: string; sorting: Sorting; onSort: (column: SortKey) => void }) {
  const current = sorting.sort ?? 'created';
  const order = sorting.sort ? sorting.order : 'asc';
  const active = current === column;
  return (
    <th scope="col" aria-sort={active ? (order === 'desc' ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(column)}>
        {label}
        <span aria-hidden="true">{active ? (order === 'desc' ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
}

/** The header's checkbox: every row shown, or none; half-checked when some are. */
function SelectAll({ count, total, onChange }: { count: number; total: number; onChange: (on: boolean) => void }) {
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = count > 0 && count < total;
  }, [count, total]);
  return <input ref={box} type="checkbox" aria-label="Select all shown users" checked={total > 0 && count === total} onChange={(e) => onChange(e.target.checked)} />;
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

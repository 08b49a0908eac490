import { useEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { setActingTenant } from './api.ts';
import type { AssignmentTerm } from './components/assignment-term.tsx';
import { AvatarImage } from './components/avatar.tsx';
import { formatTime } from './components/ui.tsx';
import { AccessRequestsPage, RequestAccessPage } from './pages/access-requests.tsx';
import { AccessReviewPage, AccessReviewRecordPage } from './pages/access-review.tsx';
import { AuditPage } from './pages/audit.tsx';
import { AuthenticationSettingsPage } from './pages/authentication-settings.tsx';
import { RoleEditorPage, RolesPage } from './pages/roles.tsx';
import { SecurityPage } from './pages/security.tsx';
import { SetPasswordPage } from './pages/set-password.tsx';
import { MustEnrollTwoFactorPage } from './pages/two-factor.tsx';
import { MustChangePasswordPage, SignInPage } from './pages/sign-in.tsx';
import { UserDetailPage } from './pages/user-detail/index.tsx';
import { ImportUsersPage } from './pages/user-import.tsx';
import { NewUserPage, UsersPage } from './pages/users.tsx';
import { TenantPage, TenantsPage } from './pages/tenants.tsx';
import { Link, match, Redirect, useLocation } from './router.tsx';
import { alternatives, routes, windowTitle, type Requirement, type RoutePattern } from './routes.ts';
import { SessionProvider, useMe, useSession, type SessionState } from './session.tsx';

export function App() {
  return (
    <SessionProvider>
      <Screens />
    </SessionProvider>
  );
}

function Screens() {
  const { path } = useLocation();
  const { state } = useSession();
  useDocumentTitle(path === '/set-password' ? 'Set password' : screenTitles[state.status]);
  // Redeeming a one-time link needs no session.
  if (path === '/set-password') return <SetPasswordPage />;
  switch (state.status) {
    case 'loading':
      return <p className="splash muted">Loading…</p>;
    case 'signed-out':
      return <SignInPage />;
    case 'must-change-password':
      return <MustChangePasswordPage />;
    case 'must-enroll-two-factor':
      return <MustEnrollTwoFactorPage />;
    case 'signed-in':
      return <Shell />;
  }
}

/** The window title before the shell's pages; null leaves it to the page. */
const screenTitles: Record<SessionState['status'], string | null> = {
  loading: 'Loading',
  'signed-out': 'Sign in',
  'must-change-password': 'Choose a new password',
  'must-enroll-two-factor': 'Set up two-factor authentication',
  'signed-in': null,
};

function useDocumentTitle(title: string | null) {
  useEffect(() => {
    if (title) document.title = windowTitle(title);
  }, [title]);
}

/** What each page of the route table (routes.ts) renders. */
const renderers: Record<RoutePattern, (params: Record<string, string>) => ReactNode> = {
  '/admin/users': () => <UsersPage />,
  '/admin/users/new': () => <NewUserPage />,
  '/admin/users/import': () => <ImportUsersPage />,
  '/admin/users/:id': ({ id }) => <UserDetailPage id={id!} tab="details" />,
  '/admin/users/:id/roles': ({ id }) => <UserDetailPage id={id!} tab="roles" />,
  '/admin/users/:id/sessions': ({ id }) => <UserDetailPage id={id!} tab="sessions" />,
  '/admin/users/:id/activity': ({ id }) => <UserDetailPage id={id!} tab="activity" />,
  '/admin/users/:id/security': ({ id }) => <UserDetailPage id={id!} tab="security" />,
  '/admin/roles': () => <RolesPage />,
  '/admin/roles/new': () => <RoleEditorPage />,
  '/admin/roles/:id': ({ id }) => <RoleEditorPage id={id!} />,
  '/admin/tenants': () => <TenantsPage />,
  '/admin/tenants/:tenant': ({ tenant }) => <TenantPage slug={tenant!} />,
  '/admin/audit': () => <AuditPage />,
  '/admin/access-review': () => <AccessReviewPage />,
  '/admin/access-reviews/:id': ({ id }) => <AccessReviewRecordPage id={id!} />,
  '/admin/access-requests': () => <AccessRequestsPage />,
  '/admin/settings/authentication': () => <AuthenticationSettingsPage />,
  '/settings/security': () => <SecurityPage />,
  '/settings/access-requests': () => <RequestAccessPage />,
};

const navigation: { section: 'Admin' | 'Settings'; to: string; label: string; permission?: Requirement }[] = [
  { section: 'Admin', to: '/admin/users', label: 'Users', permission: 'ViewUsers' },
  { section: 'Admin', to: '/admin/roles', label: 'Roles', permission: 'ViewUsers' },
  { section: 'Admin', to: '/admin/tenants', label: 'Tenants', permission: 'ManageTenants' },
  { section: 'Admin', to: '/admin/audit', label: 'Audit', permission: 'ViewAuditLogs' },
  { section: 'Admin', to: '/admin/access-review', label: 'Access review', permission: 'ViewAuditLogs' },
  { section: 'Admin', to: '/admin/access-requests', label: 'Access requests', permission: 'AssignRoles' },
  { section: 'Admin', to: '/admin/settings/authentication', label: 'Settings', permission: ['ManageSettings', 'ManageTenants'] },
  { section: 'Settings', to: '/settings/security', label: 'Security' },
  { section: 'Settings', to: '/settings/access-requests', label: 'Request access' },
];

function Shell() {
  const { path } = useLocation();
  const { can } = useSession();
  const me = useMe();
  // Under ~720 px the navigation, tenant and user menu fold behind a Menu button; a page change folds them again.
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  useEffect(() => setMenuOpen(false), [path]);
  // Escape folds the open menu and gives the focus back to its button.
  const closeOnEscape = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'Escape' || !menuOpen) return;
    setMenuOpen(false);
    menuButton.current?.focus();
  };
  const allowed = (requirement: Requirement | undefined) => !requirement || alternatives(requirement).some(can);
  const links = navigation.filter((item) => allowed(item.permission));

  let content: ReactNode;
  let title: string | null = null;
  if (path === '/' || path === '/login' || path === '/admin') content = <Redirect to={links[0]!.to} />;
  else if (path === '/settings') content = <Redirect to="/settings/security" />;
  else if (path === '/admin/settings') content = <Redirect to="/admin/settings/authentication" />;
  else {
    const found = routes.map((route) => ({ route, params: match(route.pattern, path) })).find((candidate) => candidate.params);
    if (!found) {
      title = 'Page not found';
      content = <Missing title={title} text={`Nothing lives at ${path}.`} />;
    } else if ('permission' in found.route && !allowed(found.route.permission)) {
      title = 'Not available';
      content = <Missing title={title} text={`This page needs the ${alternatives(found.route.permission).join(' or ')} permission in tenant ${me.tenant?.slug ?? '—'}.`} />;
    } else {
      title = found.route.title;
      content = renderers[found.route.pattern](found.params!);
    }
  }
  useDocumentTitle(title);

  // The skip link moves focus past the top bar without changing the address.
  const skipToContent = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    document.getElementById('content')?.focus();
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <header className="topbar" onKeyDown={closeOnEscape}>
        <Link to="/" className="brand">
          Sophon Identity
        </Link>
        <button ref={menuButton} type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="topbar-menu" onClick={() => setMenuOpen((open) => !open)}>
          Menu
        </button>
        <div id="topbar-menu" className={menuOpen ? 'topbar-menu open' : 'topbar-menu'}>
          <nav aria-label="Main">
            {['Admin', 'Settings'].map((section) => {
              const items = links.filter((item) => item.section === section);
              if (items.length === 0) return null;
              return (
                <div key={section} className="nav-section">
                  <span className="nav-title">{section}</span>
                  {items.map((item) => (
                    <Link key={item.to} to={item.to} className={path.startsWith(item.to) ? 'active' : undefined} aria-current={path.startsWith(item.to) ? 'page' : undefined}>
                      {item.label}
                    </Link>
                  ))}
                </div>
              );
            })}
          </nav>
          <TenantSwitcher />
          <UserMenu />
        </div>
      </header>
      {/* Keyed by tenant: switching tenants reloads the page's data in the new context. */}
      <main className="content" id="content" tabIndex={-1} key={me.tenant?.id ?? 'none'}>
        {content}
      </main>
    </div>
  );
}

function TenantSwitcher() {
  const me = useMe();
  const { refresh } = useSession();
  if (me.tenants.length < 2) return <span className="tenant-name">Tenant: {me.tenant?.slug ?? '—'}</span>;
  const change = (slug: string) => {
    setActingTenant(slug);
    void refresh();
  };
  return (
    <div className="tenant-switcher">
      <label htmlFor="tenant-switcher">Tenant</label>
      <select id="tenant-switcher" value={me.tenant?.slug ?? ''} onChange={(e) => change(e.target.value)}>
        {me.tenants.map((membership) => (
          <option key={membership.tenantId} value={membership.tenantSlug}>
            {membership.tenantSlug} ({membership.roleName}
            {until(membership)})
          </option>
        ))}
      </select>
    </div>
  );
}

/** A time-bound role's end, for the top bar: " until 3 Dec 2026, 18:00", or nothing. */
const until = (membership: object) => {
  const { endsAt } = membership as AssignmentTerm;
  return endsAt ? ` until ${formatTime(endsAt)}` : '';
};

function UserMenu() {
  const me = useMe();
  const current = me.tenants.find((membership) => membership.tenantId === me.tenant?.id);
  const { signOut } = useSession();
  return (
    <div className="user-menu">
      <AvatarImage src="/api/v1/me/avatar" name={me.user.displayName || me.user.email} updatedAt={me.avatarUpdatedAt} size="small" />
      <span>
        <span className="user-name">{me.user.displayName || me.user.email}</span>
        <small className="muted">
          {me.tenant?.role ?? 'no role'}
          {current && until(current)}
        </small>
      </span>
      <button type="button" className="small" onClick={() => void signOut()}>
        Sign out
      </button>
    </div>
  );
}

function Missing({ title, text }: { title: string; text: string }) {
  return (
    <>
      <h1>{title}</h1>
      <p className="muted">{text}</p>
    </>
  );
}

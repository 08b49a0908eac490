import type { ReactNode } from 'react';
import { setActingTenant } from './api.ts';
import { AvatarImage } from './components/avatar.tsx';
import { AuditPage } from './pages/audit.tsx';
import { AuthenticationSettingsPage } from './pages/authentication-settings.tsx';
import { RoleEditorPage, RolesPage } from './pages/roles.tsx';
import { SecurityPage } from './pages/security.tsx';
import { SetPasswordPage } from './pages/set-password.tsx';
import { MustEnrollTwoFactorPage } from './pages/two-factor.tsx';
import { MustChangePasswordPage, SignInPage } from './pages/sign-in.tsx';
import { UserDetailPage } from './pages/user-detail.tsx';
import { ImportUsersPage } from './pages/user-import.tsx';
import { NewUserPage, UsersPage } from './pages/users.tsx';
import { Link, match, Redirect, useLocation } from './router.tsx';
import { SessionProvider, useMe, useSession } from './session.tsx';

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

/** A page or link is shown only with this permission in the acting tenant, or with any one of these. */
type Requirement = string | string[];

const alternatives = (requirement: Requirement) => (typeof requirement === 'string' ? [requirement] : requirement);

interface Page {
  pattern: string;
  permission?: Requirement;
  render: (params: Record<string, string>) => ReactNode;
}

const pages: Page[] = [
  { pattern: '/admin/users', permission: 'ViewUsers', render: () => <UsersPage /> },
  { pattern: '/admin/users/new', permission: 'ManageUsers', render: () => <NewUserPage /> },
  { pattern: '/admin/users/import', permission: 'ManageUsers', render: () => <ImportUsersPage /> },
  { pattern: '/admin/users/:id', permission: 'ViewUsers', render: ({ id }) => <UserDetailPage id={id!} /> },
  { pattern: '/admin/roles', permission: 'ViewUsers', render: () => <RolesPage /> },
  { pattern: '/admin/roles/new', permission: 'ManageRoles', render: () => <RoleEditorPage /> },
  { pattern: '/admin/roles/:id', permission: 'ViewUsers', render: ({ id }) => <RoleEditorPage id={id!} /> },
  { pattern: '/admin/audit', permission: 'ViewAuditLogs', render: () => <AuditPage /> },
  // One page for both: each section shows only to those who hold its permission.
  { pattern: '/admin/settings/authentication', permission: ['ManageSettings', 'ManageTenants'], render: () => <AuthenticationSettingsPage /> },
  { pattern: '/settings/security', render: () => <SecurityPage /> },
];

const navigation: { section: 'Admin' | 'Settings'; to: string; label: string; permission?: Requirement }[] = [
  { section: 'Admin', to: '/admin/users', label: 'Users', permission: 'ViewUsers' },
  { section: 'Admin', to: '/admin/roles', label: 'Roles', permission: 'ViewUsers' },
  { section: 'Admin', to: '/admin/audit', label: 'Audit', permission: 'ViewAuditLogs' },
  { section: 'Admin', to: '/admin/settings/authentication', label: 'Settings', permission: ['ManageSettings', 'ManageTenants'] },
  { section: 'Settings', to: '/settings/security', label: 'Security' },
];

function Shell() {
  const { path } = useLocation();
  const { can } = useSession();
  const me = useMe();
  const allowed = (requirement: Requirement | undefined) => !requirement || alternatives(requirement).some(can);
  const links = navigation.filter((item) => allowed(item.permission));

  let content: ReactNode;
  if (path === '/' || path === '/login' || path === '/admin') content = <Redirect to={links[0]!.to} />;
  else if (path === '/settings') content = <Redirect to="/settings/security" />;
  else if (path === '/admin/settings') content = <Redirect to="/admin/settings/authentication" />;
  else {
    const found = pages.map((page) => ({ page, params: match(page.pattern, path) })).find((candidate) => candidate.params);
    if (!found) content = <Missing title="Page not found" text={`Nothing lives at ${path}.`} />;
    else if (!allowed(found.page.permission))
      content = <Missing title="Not available" text={`This page needs the ${alternatives(found.page.permission!).join(' or ')} permission in tenant ${me.tenant?.slug ?? '—'}.`} />;
    else content = found.page.render(found.params!);
  }

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          Sophon Identity
        </Link>
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
      </header>
      {/* Keyed by tenant: switching tenants reloads the page's data in the new context. */}
      <main className="content" key={me.tenant?.id ?? 'none'}>
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
            {membership.tenantSlug} ({membership.roleName})
          </option>
        ))}
      </select>
    </div>
  );
}

function UserMenu() {
  const me = useMe();
  const { signOut } = useSession();
  return (
    <div className="user-menu">
      <AvatarImage src="/api/v1/me/avatar" name={me.user.displayName || me.user.email} version={me.user.updatedAt} size="small" />
      <span>
        <span className="user-name">{me.user.displayName || me.user.email}</span>
        <small className="muted">{me.tenant?.role ?? 'no role'}</small>
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

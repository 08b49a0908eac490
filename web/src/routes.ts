/**
 * The dashboard's pages behind sign-in: path pattern, title and the permission each needs.
 * Plain data (no DOM, no JSX), so the browser tests can enumerate every page from it;
 * app.tsx gives each pattern what it renders.
 */

/** A page or link is shown only with this permission in the acting tenant, or with any one of these. */
export type Requirement = string | readonly string[];

export interface Route {
  pattern: string;
  /** The page's name in the window title: "<title> — Sophon Identity". */
  title: string;
  permission?: Requirement;
}

export const PRODUCT_NAME = 'Sophon Identity';

export const routes = [
  { pattern: '/admin/users', title: 'Users', permission: 'ViewUsers' },
  { pattern: '/admin/users/new', title: 'New user', permission: 'ManageUsers' },
  { pattern: '/admin/users/import', title: 'Import users', permission: 'ManageUsers' },
  // A user's page, one address per tab (userTabs below); the bare address opens Details.
  { pattern: '/admin/users/:id', title: 'User', permission: 'ViewUsers' },
  { pattern: '/admin/users/:id/roles', title: 'User · Roles per tenant', permission: 'ViewUsers' },
  { pattern: '/admin/users/:id/sessions', title: 'User · Sessions & tokens', permission: 'ViewUsers' },
  { pattern: '/admin/users/:id/activity', title: 'User · Activity', permission: 'ViewUsers' },
  { pattern: '/admin/users/:id/security', title: 'User · Security', permission: 'ViewUsers' },
  { pattern: '/admin/roles', title: 'Roles', permission: 'ViewUsers' },
  { pattern: '/admin/roles/new', title: 'New role', permission: 'ManageRoles' },
  { pattern: '/admin/roles/:id', title: 'Role', permission: 'ViewUsers' },
  { pattern: '/admin/tenants', title: 'Tenants', permission: 'ManageTenants' },
  { pattern: '/admin/tenants/:tenant', title: 'Tenant', permission: 'ManageTenants' },
  { pattern: '/admin/audit', title: 'Audit log', permission: 'ViewAuditLogs' },
  // The API's permission (the service also asks ViewUsers; a caller without it sees the server's refusal).
  { pattern: '/admin/access-review', title: 'Access review', permission: 'ViewAuditLogs' },
  { pattern: '/admin/access-reviews/:id', title: 'Access review record', permission: 'ViewAuditLogs' },
  { pattern: '/admin/access-requests', title: 'Access requests', permission: 'AssignRoles' },
  // One page for both: each section shows only to those who hold its permission.
  { pattern: '/admin/settings/authentication', title: 'Authentication settings', permission: ['ManageSettings', 'ManageTenants'] },
  { pattern: '/settings/security', title: 'Security' },
  { pattern: '/settings/access-requests', title: 'Request access' },
] as const satisfies readonly Route[];

/** The tabs of a user's page, in order: the label, and what its address adds to /admin/users/:id. */
export const userTabs = [
  { tab: 'details', label: 'Details', suffix: '' },
  { tab: 'roles', label: 'Roles per tenant', suffix: '/roles' },
  { tab: 'sessions', label: 'Sessions & tokens', suffix: '/sessions' },
  { tab: 'activity', label: 'Activity', suffix: '/activity' },
  { tab: 'security', label: 'Security', suffix: '/security' },
] as const;

export type UserTab = (typeof userTabs)[number]['tab'];

export type RoutePattern = (typeof routes)[number]['pattern'];

export const alternatives = (requirement: Requirement): readonly string[] => (typeof requirement === 'string' ? [requirement] : requirement);

/** The window title of a page. */
export const windowTitle = (page: string) => `${page} — ${PRODUCT_NAME}`;

/** The shapes the dashboard reads from the HTTP API (see /api/openapi.json). */

export interface User {
  id: string;
  email: string;
  displayName: string;
  homeTenantId: string;
  status: 'active' | 'suspended';
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  lastLoginIp: string | null;
  lastLoginUserAgent: string | null;
  /** Present on list and detail answers. */
  homeTenant?: string;
  role?: string | null;
}

/** A row of GET /api/v1/users: the list's columns, read by the server in the page's one statement. */
export interface UserListItem extends User {
  homeTenant: string;
  role: string | null;
  /** Two-factor authentication enabled (an enrolment never confirmed is not). */
  twoFactorEnabled: boolean;
  /** At least one identity-provider account signs in as them. */
  ssoLinked: boolean;
}

export interface TenantMembership {
  tenantId: string;
  tenantSlug: string;
  roleId: string;
  roleName: string;
  permissions: string[];
}

export interface Me {
  user: User;
  tenant: { id: string; slug: string; role: string; permissions: string[] } | null;
  tenants: TenantMembership[];
  permissions: string[];
  via: 'session' | 'token';
  /**
   * Whether the account has a local password. An account single sign-on created has none:
   * the controls that ask for the current password don't apply to it. Absent from servers
   * older than SSO, where every account has one.
   */
  hasPassword?: boolean;
  /** When the caller's avatar was set; null without one (absent from older servers). */
  avatarUpdatedAt?: string | null;
}

/** GET /api/v1/auth/sso/config: whether the sign-in page offers single sign-on. */
export type SsoConfig = { enabled: false } | { enabled: true; buttonLabel: string; loginUrl: string };

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt?: string;
  updatedAt?: string;
  /** The caller's role there; null for a tenant they manage without belonging to it. */
  myRole?: string | null;
  /** GET /api/v1/tenants: users holding a role there. */
  memberCount?: number;
  /** Users whose home tenant it is, and resources it owns: a tenant with either can't be deleted. */
  homeUserCount?: number;
  resourceCount?: number;
}

/** One row of GET /api/v1/tenants/:tenant/members. */
export interface TenantMember {
  userId: string;
  email: string;
  displayName: string;
  status: 'active' | 'suspended';
  homeTenant: string;
  role: { id: string; name: string; builtIn: boolean };
  assignedAt: string;
}

export interface TenantMembers {
  tenant: Tenant;
  items: TenantMember[];
  nextCursor: string | null;
  /** The roles that can be given in the tenant: the global ones and its own. */
  roles: { id: string; name: string; builtIn: boolean; scope: 'global' | 'tenant' }[];
}

export interface Role {
  id: string;
  name: string;
  description: string;
  tenantId: string | null;
  builtIn: boolean;
  permissions: string[];
  scope: 'global' | 'tenant';
  usedBy: number;
}

export interface PermissionCatalogue {
  groups: { group: string; permissions: { name: string; description: string }[] }[];
}

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface SessionView {
  id: string;
  /** Browser and system, read from the user agent by the server. */
  device?: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end; `idleExpiresAt` is when it ends if unused from now on. */
  expiresAt: string;
  idleExpiresAt?: string;
  ip: string | null;
  userAgent: string | null;
  current?: boolean;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  tenantId: string | null;
  actorId: string | null;
  actorEmail: string | null;
  category: string;
  action: string;
  outcome: string;
  subjectType: string | null;
  subjectId: string | null;
  diff: { before: unknown; after: unknown } | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Activity {
  user: User;
  lastLogin: { at: string; ip: string | null; userAgent: string | null } | null;
  sessions: SessionView[];
  tokens: ApiToken[];
  /** False for an account single sign-on created: it has no local password. */
  hasPassword: boolean;
  /** When the user's avatar was set; null without one (absent from older servers). */
  avatarUpdatedAt?: string | null;
  /** Identity-provider accounts that sign in as this user. */
  identities: { issuer: string; subject: string; createdAt: string; lastLoginAt: string | null }[];
  /** The newest invitation, reset or account notice mailed to the user; null if none (or without ManageUsers). Absent from older servers. */
  lastMail?: MailDelivery | null;
  recentEvents: AuditEvent[] | null;
}

/** Where one mail stands: `queued` until the outbox has handed it to SMTP (retrying, with the last error, while that fails). */
export interface MailDelivery {
  messageId: string;
  kind: 'invitation' | 'password_reset' | 'account_created';
  recipient: string;
  delivery: 'queued' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** `POST /api/v1/users/:id/one-time-link` `{deliver: "manual"}`: a link for the admin to hand over, shown once. */
export interface HandedOverLink {
  delivery: 'manual';
  purpose: 'invitation' | 'password_reset';
  link: string;
  expiresAt: string;
  cancelledMessages: string[];
  initialPasswordRetired: boolean;
}

export interface EffectivePermissions {
  userId: string;
  tenants: TenantMembership[];
  permissions: string[];
  /** Tenants the user holds a role in where the caller can't see users: neither listed nor counted. */
  hiddenTenants?: number;
}

/** POST /api/v1/users/:id/move (also as a dry run): the user's role in each tenant before and after. */
export interface MovedUser extends User {
  movedResources: number;
  dryRun: boolean;
  roles: { tenant: string; before: string | null; after: string | null }[];
}

export interface CreatedUser {
  user: User;
  passwordExpiresAt: string | null;
  /** Without SMTP, when no password was given: shown once. */
  oneTimePassword?: string;
  /** With SMTP and no password: the invitation is queued, not yet delivered. */
  invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
  /** With SMTP and a typed password: a notice without the password is queued; the admin hands the password over. */
  notice?: { delivery: 'queued'; messageId: string };
}

/** One row of `POST /api/v1/users/import`'s report. */
export type ImportRow =
  | {
      line: number;
      email: string;
      status: 'created';
      user: User;
      passwordExpiresAt: string | null;
      oneTimePassword?: string;
      invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
      notice?: { delivery: 'queued'; messageId: string };
    }
  | { line: number; email: string; status: 'valid' }
  | { line: number; email: string; status: 'rejected'; error: { code: string; message: string } };

/** `POST /api/v1/users/imports` and `GET /api/v1/users/imports/:id`: a CSV import run as a job on the server. */
export interface ImportJob {
  id: string;
  status: 'receiving' | 'queued' | 'running' | 'done' | 'failed';
  phase: 'validate' | 'create';
  dryRun: boolean;
  allOrNothing: boolean;
  applied: boolean;
  counts: { total: number; done: number; created: number; valid: number; failed: number; pending: number };
  passwordsHashed: number;
  resumed: number;
  error: { code: string; message: string } | null;
}

/** `POST /api/v1/users/import`: what each row of the file did (or would do, on a dry run). */
export interface ImportReport {
  dryRun: boolean;
  allOrNothing: boolean;
  /** Whether users were written. */
  applied: boolean;
  counts: { rows: number; created: number; valid: number; rejected: number };
  rows: ImportRow[];
}

export type ResetPasswordResult = { delivery: 'queued'; messageId: string; expiresAt: string } | { delivery: 'manual'; link: string; expiresAt: string };

export interface CreatedToken {
  token: ApiToken;
  secret: string;
}

export type LoginResult =
  | { twoFactorRequired: true; challenge: string }
  | { twoFactorRequired?: false; user: User; mustChangePassword: boolean; csrfToken: string };

export const auditCategories = ['auth', 'authz', 'rbac', 'users', 'tenants', 'tokens', 'sessions', 'resources', 'system'] as const;

/** Where a value of the authentication policy comes from, most specific first. */
export type PolicySource = 'default' | 'appsettings' | 'tenant appsettings' | 'admin API' | 'tenant admin API';

/** `GET /api/v1/settings/authentication` and `GET /api/v1/tenants/:tenant/settings/authentication`. */
export interface AuthenticationPolicy {
  scope: 'global' | { tenantId: string; slug: string };
  /** What the admin API set at this scope; null: not set (inherit). Timeouts are .NET TimeSpans ("08:00:00", "7.00:00:00"). */
  overrides: { requireTwoFactor: boolean | null; idleTimeout: string | null; absoluteTimeout: string | null };
  effective: {
    requireTwoFactor: boolean;
    idleTimeout: string;
    absoluteTimeout: string;
    sources: { requireTwoFactor: PolicySource; idleTimeout: PolicySource; absoluteTimeout: PolicySource };
  };
  updatedAt: string | null;
}

/** `GET /api/v1/users/:id/sign-in-lock`: the account's brute-force lock. */
export interface SignInLock {
  userId: string;
  failures: number;
  lastFailureAt: string | null;
  state: 'open' | 'waiting' | 'locked';
  /** While waiting: when the next attempt is counted again. */
  until: string | null;
}

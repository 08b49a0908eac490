/**
 * The shapes the dashboard reads from the HTTP API: the types of the server's own response
 * schemas (src/http/schemas/, the `response` of each route), imported as types only, so Vite
 * erases them and the bundle carries nothing of the server. The server's test runs check every
 * answer against those schemas, so these types can't drift from what the API sends.
 */
export type { Page } from '../../src/http/schemas/common.ts';
export type {
  User,
  UserView,
  UserListItem,
  CreatedUser,
  MovedUser,
  TenantPermissions as TenantMembership,
  EffectivePermissions,
  UserMemberships,
  PasswordReset as ResetPasswordResult,
  HandedOverLink,
  LoggedOutUser,
  SignInLock,
  MailDelivery,
  OutboxMessage,
} from '../../src/http/schemas/users.ts';
export type { Me, Activity } from '../../src/http/schemas/account.ts';
export type { SignedIn, LoginResult, SsoConfig, LinkRedeemed } from '../../src/http/schemas/auth.ts';
export type { Tenant, TenantListItem, TenantMember, TenantMembers, TenantMemberRole } from '../../src/http/schemas/tenants.ts';
export type { Role, PermissionCatalogue } from '../../src/http/schemas/roles.ts';
export type { ApiToken, CreatedToken } from '../../src/http/schemas/tokens.ts';
export type { SessionView } from '../../src/http/schemas/sessions.ts';
export type { AuditEvent, AuditCategory } from '../../src/http/schemas/audit.ts';
export type { ImportRow, ImportReport, ImportJob, ImportJobRow } from '../../src/http/schemas/imports.ts';
export type { PolicySource, AuthenticationPolicy } from '../../src/http/schemas/settings.ts';
export type { TwoFactorStatus, TwoFactorEnrollment, EnrollmentConfirmed, TwoFactorDisabled, RecoveryCodes, TwoFactorReset } from '../../src/http/schemas/two-factor.ts';
export type { AccessExplanation, PermissionExplanation, AccessReviewReport, AccessReviewFinding, AccessReviewSummary, RecordedReview } from '../../src/http/schemas/governance.ts';
export type { AccessRequest, AccessRequestListItem } from '../../src/http/schemas/access-requests.ts';

/** The audit trail's categories, for the filter: the server's own list (a module of plain constants). */
export { AUDIT_CATEGORIES as auditCategories } from '../../src/domain/audit/audit-event.ts';

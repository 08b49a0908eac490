import type { TenantStore } from './tenants/tenant-store.ts';
import type { UserStore } from './users/user-store.ts';
import type { AssignmentStore, RoleStore } from './roles/role-store.ts';
import type { SessionStore } from './sessions/session-store.ts';
import type { ApiTokenStore } from './tokens/token-store.ts';
import type { AuditStore } from './audit/audit-store.ts';
import type { ResourceStore } from './resources/resource-store.ts';
import type { OutboxStore } from './mail/outbox-store.ts';
import type { OneTimeLinkStore } from './users/one-time-link-store.ts';
import type { AvatarStore } from './users/avatar-store.ts';
import type { TwoFactorStore } from './two-factor/two-factor-store.ts';
import type { LoginChallengeStore } from './sessions/login-challenge-store.ts';
import type { LoginThrottleStore } from './login-throttle/login-throttle-store.ts';
import type { AuthPolicyStore } from './sessions/auth-policy-store.ts';
import type { ExternalIdentityStore } from './sso/external-identity-store.ts';
import type { SsoLoginStateStore } from './sso/sso-login-state-store.ts';
import type { GovernanceStore } from './access/governance-store.ts';
import type { ImportJobStore } from './users/import-job-store.ts';
import type { AuthorizationStore } from './access/authorization-store.ts';
import type { AccessRequestStore } from './access/access-request-store.ts';

export interface TransactionOptions {
  /**
   * Stricter than the engine's default (PostgreSQL: READ COMMITTED; SQLite is always
   * serializable). A serializable transaction that conflicts with another is rolled back by
   * PostgreSQL (SQLSTATE 40001) and run again by the store.
   */
  isolation?: 'repeatable read' | 'serializable';
}

/** Everything the domain needs from storage. Implemented once, over Kysely, for SQLite and PostgreSQL. */
export interface Store {
  tenants: TenantStore;
  users: UserStore;
  roles: RoleStore;
  assignments: AssignmentStore;
  sessions: SessionStore;
  tokens: ApiTokenStore;
  audit: AuditStore;
  resources: ResourceStore;
  mail: OutboxStore;
  links: OneTimeLinkStore;
  avatars: AvatarStore;
  twoFactor: TwoFactorStore;
  loginChallenges: LoginChallengeStore;
  loginThrottle: LoginThrottleStore;
  authPolicies: AuthPolicyStore;
  externalIdentities: ExternalIdentityStore;
  ssoLoginStates: SsoLoginStateStore;
  /** Reads of explain access and access review (src/domain/access/explain.ts, access-review.ts). */
  governance: GovernanceStore;
  importJobs: ImportJobStore;
  /** Requests for a time-bound role (src/domain/access/access-request.ts). */
  accessRequests: AccessRequestStore;
  /** The single-statement read behind every authorized request. */
  authorization: AuthorizationStore;
  /**
   * Runs `work` in one database transaction: a command writes its change and its audit
   * event through the store it is handed, so both land or neither does. Nested calls
   * join the outer transaction.
   *
   * `work` may run more than once: a run that loses a race (serialization failure or
   * deadlock) is rolled back and `work` is called again on a fresh transaction. So it must
   * do nothing but read and write through the store it is handed: no mail, no HTTP, nothing
   * kept from a failed run (mail goes through the outbox, which is a table).
   */
  transaction<T>(work: (store: Store) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

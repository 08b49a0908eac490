import type { TenantStore } from './tenants/tenant-store.ts';
import type { UserStore } from './users/user-store.ts';
import type { AssignmentStore, RoleStore } from './roles/role-store.ts';
import type { SessionStore } from './sessions/session.ts';
import type { ApiTokenStore } from './tokens/api-token.ts';
import type { AuditStore } from './audit/audit-event.ts';
import type { ResourceStore } from './resources/resource.ts';
import type { OutboxStore } from './mail/outbox.ts';
import type { OneTimeLinkStore } from './users/one-time-link.ts';
import type { AvatarStore } from './users/avatar.ts';
import type { TwoFactorStore } from './two-factor/two-factor.ts';
import type { LoginChallengeStore } from './sessions/login-challenge.ts';
import type { LoginThrottleStore } from './login-throttle/login-throttle.ts';
import type { AuthPolicyStore } from './sessions/authentication-policy.ts';
import type { ExternalIdentityStore } from './sso/external-identity.ts';
import type { SsoLoginStateStore } from './sso/sso-login-state.ts';
import type { GovernanceStore } from './access/governance-store.ts';
import type { ImportJobStore } from './users/import-job.ts';
import type { AuthorizationStore } from './access/authorization-facts.ts';

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

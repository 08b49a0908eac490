import type { Role } from '../roles/role.ts';
import type { AuthPolicyRecord } from '../sessions/authentication-policy.ts';
import type { Session } from '../sessions/session.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { ApiToken } from '../tokens/api-token.ts';
import type { TwoFactorStatus } from '../two-factor/two-factor.ts';
import type { StoredUser } from '../users/user.ts';

/**
 * Everything one request's authorization depends on, read in one statement (one round trip on
 * PostgreSQL): the credential, its owner, their 2FA enrolment, the policies that apply, the tenant
 * the request acts in with the owner's role there, and their role in `default` (where the
 * installation-wide permissions are held) — each the role in force at the request's `now`: a
 * time-bound one (an elevation) while it lasts, else the permanent one. Any change to one of these rows
 * applies at the next request, on every node: a node gives a credential's facts again only while
 * nothing that can alter a decision has changed since they were read (SQLite: no row of the database;
 * PostgreSQL: the authorization epoch, read after the request arrived), and no longer than the end of
 * an elevation among them (src/storage/stores/authorization-cache.ts).
 *
 * Kept facts (`kept`) hold the credential's touch time (a token's last use, a session's last
 * activity) of when they were read: a touch alone moves no version, so it may have moved since.
 * Reckoned from that older time a session only looks idle sooner and a touch only looks due sooner,
 * never later; so a decision taken from the touch time (a touch due, an idle timeout) is taken on
 * facts read afresh (`AuthorizationQuery.fresh`), and every other decision on the kept ones.
 */
/** Only the columns that decide are read: each part is the fields of its row the checks use. */
export type TokenFacts = Pick<ApiToken, 'id' | 'userId' | 'tokenHash' | 'expiresAt' | 'lastUsedAt' | 'revokedAt'>;
export type SessionFacts = Pick<Session, 'id' | 'userId' | 'tokenHash' | 'csrfHash' | 'createdAt' | 'lastSeenAt' | 'expiresAt' | 'endedAt' | 'method'>;
export type OwnerFacts = Pick<StoredUser, 'id' | 'email' | 'homeTenantId' | 'status' | 'passwordHash' | 'mustChangePassword'>;
export type RoleFacts = Pick<Role, 'id' | 'name' | 'tenantId' | 'builtIn' | 'permissions'>;
export type PolicyFacts = Pick<AuthPolicyRecord, 'scopeId' | 'requireTwoFactor' | 'idleTimeoutSeconds' | 'absoluteTimeoutSeconds'>;
export type TenantFacts = Pick<Tenant, 'id' | 'slug' | 'name'>;

export interface AuthorizationFacts {
  /** The API token or the session the credential's hash found (undefined: none). */
  token?: TokenFacts;
  session?: SessionFacts;
  /** The credential's owner (undefined: deleted). */
  user?: OwnerFacts;
  /** The owner's 2FA record's status; null without a record. */
  twoFactorStatus: TwoFactorStatus | null;
  /** Set by an admin's 2FA reset: the owner must enrol again. */
  twoFactorReenrolmentRequiredAt: string | null;
  homeTenantSlug: string | null;
  /**
   * The tenant the request acts in (the one named by X-Sophon-Tenant, a slug preferred over an id,
   * else the owner's home tenant) and the owner's assignment there; undefined when it doesn't exist.
   */
  acting?: { tenant: TenantFacts; role: RoleFacts | undefined };
  /** The owner's role in `default`. */
  roleInDefault: RoleFacts | undefined;
  policies: { global?: PolicyFacts; home?: PolicyFacts; acting?: PolicyFacts };
  /** Given again from a node's cache: the touch time is that of when they were read (see above). */
  kept?: true;
}

export interface AuthorizationQuery {
  credential: 'token' | 'session';
  /** sha256 of the credential. */
  hash: string;
  /** X-Sophon-Tenant as sent (slug or id), or null for the owner's home tenant. */
  tenant: string | null;
  defaultTenantId: string;
  /** The request's instant (the domain clock's, ISO-8601): a time-bound assignment grants only before its end. */
  now: string;
  /** Read from the database, never from a cache (a decision from the touch time: see AuthorizationFacts). */
  fresh?: boolean;
}

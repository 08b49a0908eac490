import type { StoredUser, UserStatus } from './user.ts';

/** The columns a list of users sorts by: creation (id order, UUIDv7), email, display name, last sign-in. */
export const USER_SORT_KEYS = ['created', 'email', 'name', 'lastSignIn'] as const;
export type UserSortKey = (typeof USER_SORT_KEYS)[number];

/**
 * A page's order other than the default (created, oldest first: `after` is then the cursor),
 * and where the previous page ended: its last row's sort value (TenantMember.sortValue) and id.
 */
export interface UserOrder {
  key: UserSortKey;
  descending: boolean;
  after?: { value: string; id: string };
}

/** A page of a tenant's users: every filter narrows it, all of them at once. */
export interface UserListQuery {
  /** The order of the page; id order (creation, oldest first) without it. */
  order?: UserOrder;
  /** Part of the email or display name, any case; `%`, `_` and `\` are plain characters. */
  search?: string;
  /** The last id of the previous page. */
  after?: string;
  limit: number;
  /** Holding this role in the tenant. */
  roleId?: string;
  status?: UserStatus;
  /** true: two-factor authentication enabled; false: not (none, or an enrolment never confirmed). */
  twoFactorEnrolled?: boolean;
  /** true: at least one identity-provider account signs in as them; false: none. */
  ssoLinked?: boolean;
  /** Signed in last before this instant (ISO); users who never signed in don't match. */
  lastSignInBefore?: string;
  /** Signed in last at or after this instant (ISO). */
  lastSignInAfter?: string;
  /** Homed in the tenant with this slug. */
  homeTenantSlug?: string;
  /**
   * The instant the rows' role is read at: a time-bound role in force then is shown instead of
   * the permanent one (role-elevation.ts). Absent: the permanent role. (`roleId` filters on the
   * permanent role, which the list's index walks.)
   */
  now?: string;
}

/** A member of the tenant as a list shows them: the user, their role there, their home tenant and their sign-in status, read at once. */
export interface TenantMember {
  user: StoredUser;
  role: { id: string; name: string };
  homeTenantSlug: string;
  /** Two-factor authentication enabled (an enrolment never confirmed is not). */
  twoFactorEnabled: boolean;
  /** At least one identity-provider account signs in as them. */
  ssoLinked: boolean;
  /** With an order by email, name or last sign-in: the row's sort value as the engine compares it (a cursor's half). */
  sortValue?: string;
}

export interface UserStore {
  create(user: StoredUser): Promise<void>;
  getById(userId: string): Promise<StoredUser | undefined>;
  /**
   * The owner of the API token or session with this hash, read by the hash alone so it can be
   * asked alongside the token or session itself: one round trip on every authenticated request.
   */
  getByCredentialHash(kind: 'token' | 'session', tokenHash: string): Promise<StoredUser | undefined>;
  getByEmail(email: string): Promise<StoredUser | undefined>;
  /** A user who belongs to the tenant (holds a role there); undefined otherwise. */
  getInTenant(tenantId: string, userId: string): Promise<StoredUser | undefined>;
  /** The tenant's members in id order, after `after`: one statement per page, whatever its size. */
  listMembers(tenantId: string, query: UserListQuery): Promise<TenantMember[]>;
  /** The same page as listMembers, the users alone. */
  listInTenant(tenantId: string, query: UserListQuery): Promise<StoredUser[]>;
  update(
    userId: string,
    changes: Partial<Pick<StoredUser, 'email' | 'displayName' | 'status' | 'passwordHash' | 'mustChangePassword' | 'updatedAt' | 'lastLoginAt' | 'lastLoginIp' | 'lastLoginUserAgent' | 'passwordExpiresAt' | 'homeTenantId'>>,
  ): Promise<void>;
  delete(userId: string): Promise<void>;
  countWithStatus(status: UserStatus): Promise<number>;
  count(): Promise<number>;
}

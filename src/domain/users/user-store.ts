import type { StoredUser, UserStatus } from './user.ts';

export interface UserListQuery {
  search?: string;
  /** The last id of the previous page. */
  after?: string;
  limit: number;
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
  listInTenant(tenantId: string, query: UserListQuery): Promise<StoredUser[]>;
  update(
    userId: string,
    changes: Partial<Pick<StoredUser, 'email' | 'displayName' | 'status' | 'passwordHash' | 'mustChangePassword' | 'updatedAt' | 'lastLoginAt' | 'lastLoginIp' | 'lastLoginUserAgent' | 'passwordExpiresAt' | 'homeTenantId'>>,
  ): Promise<void>;
  delete(userId: string): Promise<void>;
  countWithStatus(status: UserStatus): Promise<number>;
  count(): Promise<number>;
}

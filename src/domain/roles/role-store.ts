import type { Role } from './role.ts';

export interface RoleAssignment {
  userId: string;
  tenantId: string;
  roleId: string;
  assignedAt: string;
  assignedBy: string | null;
}

/** A role assignment read together with its tenant's slug and its role. */
export interface Membership {
  tenantId: string;
  tenantSlug: string;
  role: Role;
  assignedAt: string;
}

export interface RoleStore {
  create(role: Role): Promise<void>;
  getById(roleId: string): Promise<Role | undefined>;
  /** Roles usable in a tenant: the global ones and the tenant's own. */
  listVisibleIn(tenantId: string): Promise<Role[]>;
  /** Every role: for checking a new global role's name against all tenants. */
  listAll(): Promise<Role[]>;
  countCustomIn(tenantId: string | null): Promise<number>;
  /**
   * Serializes, until the transaction ends, the commands that check role names and counts
   * before writing: two concurrent creations of "editor" can't both pass the check.
   */
  lockNamesForTransaction(): Promise<void>;
  update(roleId: string, changes: Pick<Role, 'name' | 'description' | 'permissions' | 'updatedAt'>): Promise<void>;
  delete(roleId: string): Promise<void>;
}

export interface AssignmentStore {
  /** Sets (adds or replaces) the user's one role in the tenant. */
  set(assignment: RoleAssignment): Promise<void>;
  get(tenantId: string, userId: string): Promise<RoleAssignment | undefined>;
  /** The role the user holds in the tenant, in one round trip: every authorized request asks this. */
  getRole(tenantId: string, userId: string): Promise<Role | undefined>;
  listForUser(userId: string): Promise<RoleAssignment[]>;
  /** The user's memberships with each tenant's slug and the role held there, oldest first, in one statement. */
  listMembershipsOfUser(userId: string): Promise<Membership[]>;
  /** Every assignment in the tenant (an export reads them in one go rather than user by user). */
  listForTenant(tenantId: string): Promise<RoleAssignment[]>;
  remove(tenantId: string, userId: string): Promise<void>;
  /** Holders of the role, in one tenant when given (a global role's holders elsewhere are none of its business). */
  countUsingRole(roleId: string, tenantId?: string): Promise<number>;
  /** Active users holding the role in the tenant, locked for the rest of the transaction where the engine can. */
  listActiveHolders(tenantId: string, roleId: string): Promise<string[]>;
}

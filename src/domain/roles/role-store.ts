import type { Role } from './role.ts';
import type { AssignmentTerm, RoleElevation } from './role-elevation.ts';

export interface RoleAssignment {
  userId: string;
  tenantId: string;
  roleId: string;
  assignedAt: string;
  assignedBy: string | null;
}

/** A role assignment read together with its tenant's slug and the role in force (an elevation's while it lasts). */
export interface Membership extends AssignmentTerm {
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
  /**
   * Sets (adds or replaces) the user's one permanent role in the tenant. The commands that set a
   * permanent role call `endElevation` with it: what an admin sets applies now (role-elevation.ts).
   */
  set(assignment: RoleAssignment): Promise<void>;
  /** Ends the member's elevation in the tenant, if any (deletes it). */
  endElevation(tenantId: string, userId: string): Promise<void>;
  /** The permanent assignment (an elevation over it is `getElevation`'s). */
  get(tenantId: string, userId: string): Promise<RoleAssignment | undefined>;
  /** Sets (adds or replaces) the member's one elevation in the tenant (role-elevation.ts). */
  setElevation(elevation: RoleElevation): Promise<void>;
  /** The member's elevation in the tenant as stored, in force or ended (ask `elevationInForce`). */
  getElevation(tenantId: string, userId: string): Promise<RoleElevation | undefined>;
  /** The role in force for the user in the tenant at `now` (an elevation's while it lasts), in one round trip. */
  getRole(tenantId: string, userId: string, now: string): Promise<Role | undefined>;
  /** `getRole` with the assignment's term (a time-bound role's end and the permanent role after it), in one round trip. */
  getRoleWithTerm(tenantId: string, userId: string, now: string): Promise<({ role: Role } & AssignmentTerm) | undefined>;
  listForUser(userId: string): Promise<RoleAssignment[]>;
  /** The user's memberships with each tenant's slug and the role in force there at `now`, oldest first, in one statement. */
  listMembershipsOfUser(userId: string, now: string): Promise<Membership[]>;
  /** Every assignment in the tenant (an export reads them in one go rather than user by user). */
  listForTenant(tenantId: string): Promise<RoleAssignment[]>;
  remove(tenantId: string, userId: string): Promise<void>;
  /**
   * Holders of the role, in one tenant when given (a global role's holders elsewhere are none of
   * its business): permanent assignments and elevations in force at `now`.
   */
  countUsingRole(roleId: string, now: string, tenantId?: string): Promise<number>;
  /**
   * Active users holding the role permanently in the tenant (elevations don't count: the
   * last-Admin guard asks this), locked for the rest of the transaction where the engine can.
   */
  listActiveHolders(tenantId: string, roleId: string): Promise<string[]>;
}

import type { RoleAssignment } from './role-store.ts';

/**
 * Time-bound role assignments (issue 9, part 2). A member's assignment in a tenant
 * (`RoleAssignment`) is permanent; a time-bound one is an *elevation*: a second, temporary
 * assignment in the same tenant that wins while it lasts. When it ends the permanent
 * assignment, which was never touched, applies again — that is how what the user held before is
 * restored, with nothing to write at the deadline (no sweeper is needed for correctness).
 *
 * - At most one elevation per member and tenant: a new one replaces the last.
 * - Only a member has one (the permanent assignment is what it falls back to): to give a
 *   non-member temporary access, add them first.
 * - A permanent `set` of the member's role ends any elevation there (what an admin sets applies
 *   now), and removing the membership removes it too.
 * - A time-bound Admin doesn't count for the last-Admin guard: only permanent Admins of `default`
 *   do, so the installation can't be left to an Admin whose role is about to end.
 */
export interface RoleElevation {
  userId: string;
  tenantId: string;
  roleId: string;
  /** The first instant at which it no longer grants (ISO-8601 UTC). */
  endsAt: string;
  assignedAt: string;
  assignedBy: string | null;
  /** The access request an approval made it from; null when set directly. */
  accessRequestId: string | null;
}

/**
 * The one rule of time for role assignments: an elevation grants while `now` is before its end,
 * and from the instant of its end on it doesn't (the first request at or after the deadline is
 * refused). Every reader in TypeScript asks this; the SQL readers use its mirror,
 * `elevationInForceSql` (src/storage/stores/role-elevation-sql.ts), whose agreement at the
 * boundary the store tests check.
 */
export function elevationInForce(elevation: Pick<RoleElevation, 'endsAt'> | null | undefined, now: Date | string): elevation is Pick<RoleElevation, 'endsAt'> {
  if (!elevation) return false;
  const instant = typeof now === 'string' ? now : now.toISOString();
  return instant < elevation.endsAt;
}

/** The role that applies for a member at `now`: the elevation's while it lasts, else the permanent one. */
export function roleIdInForce(assignment: Pick<RoleAssignment, 'roleId'>, elevation: Pick<RoleElevation, 'roleId' | 'endsAt'> | null | undefined, now: Date | string): string {
  return elevationInForce(elevation, now) ? elevation!.roleId : assignment.roleId;
}

/** How an assignment is shown: the role in force, and when it is time-bound, its end and the role that applies after. */
export interface AssignmentTerm {
  /** null: permanent. */
  endsAt: string | null;
  /** The permanent role that applies again at `endsAt`; null when permanent. */
  thenRole: { id: string; name: string } | null;
}

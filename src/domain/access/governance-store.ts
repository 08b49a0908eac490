import type { Role } from '../roles/role.ts';
import type { AssignmentTerm } from '../roles/role-elevation.ts';
import type { StoredUser } from '../users/user.ts';

/** A user as a governance answer names them. */
export interface PersonRef {
  id: string;
  email: string;
  displayName: string;
}

/**
 * One of the user's role assignments, with its tenant, the role in force and who made it, read at
 * once; a time-bound one (an elevation in force) with its end and the role that applies after.
 */
export interface AssignmentFact extends AssignmentTerm {
  tenantId: string;
  tenantSlug: string;
  role: Role;
  assignedAt: string;
  /** null: made by the installation itself (bootstrap, single sign-on), or by a user since deleted. */
  assignedBy: { id: string; email: string | null } | null;
}

/** An active user's role in one tenant: what "who may assign it" is computed from. */
export interface HolderFact {
  user: PersonRef;
  tenantId: string;
  roleId: string;
}

/** The newest `role.assigned` event about a user in one tenant. */
export interface RoleAssignedEventFact {
  eventId: string;
  tenantId: string;
  occurredAt: string;
  actorId: string | null;
  actorEmail: string | null;
  /** The role the event says was given (its name then). */
  roleName: string | null;
}

/** A member of the reviewed tenant, with their role there and whether 2FA is on. */
export interface ReviewMemberFact {
  user: StoredUser;
  role: Pick<Role, 'id' | 'name' | 'builtIn'>;
  twoFactorEnabled: boolean;
}

/** An elevation in force in the reviewed tenant, ending before the review's horizon. */
export interface EndingElevationFact {
  user: PersonRef;
  role: Pick<Role, 'id' | 'name'>;
  thenRole: Pick<Role, 'id' | 'name'>;
  endsAt: string;
  assignedBy: string | null;
  accessRequestId: string | null;
}

/** An API token in force (neither revoked nor expired) of a member of the reviewed tenant. */
export interface ReviewTokenFact {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  owner: PersonRef;
}

/** A recorded access review (migration 010). */
export interface AccessReviewRecord {
  id: string;
  tenantId: string;
  reviewerId: string;
  reviewerEmail: string;
  stale: string;
  staleBefore: string;
  note: string | null;
  truncated: boolean;
  createdAt: string;
  /** null while its decisions are being applied (or if that was interrupted). */
  completedAt: string | null;
}

export type ReviewDecision = 'keep' | 'suspend' | 'revoke_token' | 'remove_role';
export type ReviewOutcome = 'pending' | 'kept' | 'applied' | 'refused';

/** One finding of a recorded review, with the decision on it and what came of it. */
export interface AccessReviewDecisionRecord {
  reviewId: string;
  position: number;
  findingKind: string;
  subject: { type: string; id: string; email: string | null; name: string };
  detail: string;
  decision: ReviewDecision;
  outcome: ReviewOutcome;
  error: { code: string; message: string } | null;
}

/** A review with its counts, for a list. */
export interface AccessReviewSummary extends AccessReviewRecord {
  findings: number;
  applied: number;
  refused: number;
}

/**
 * The reads of explain and access review (src/domain/access/explain.ts, access-review.ts): each
 * method is one statement, whatever the number of permissions, roles or members involved.
 */
export interface GovernanceStore {
  /** The user's assignments with tenant slug, the role in force at `now` and assigner, oldest first. */
  listAssignmentsOfUser(userId: string, now: string): Promise<AssignmentFact[]>;
  /** Roles usable in any of the tenants: the global ones and the tenants' own. */
  listRolesVisibleIn(tenantIds: readonly string[]): Promise<Role[]>;
  /**
   * Active users holding one of `roleIds` in `tenantId` (the candidates who may assign there),
   * each with every role they hold in `alsoIn` (and in `tenantId`): roles in force at `now`.
   */
  listHoldersWithRoles(tenantId: string, roleIds: readonly string[], alsoIn: readonly string[], now: string): Promise<HolderFact[]>;
  /** The newest `role.assigned` event about the user in each of the tenants (tenants without one are left out). */
  latestRoleAssignedEvents(userId: string, tenantIds: readonly string[]): Promise<RoleAssignedEventFact[]>;
  /**
   * Members of the tenant worth a look in a review: never signed in since before
   * `signedInBefore`, signed in last before it, suspended, or holding `adminRoleId` (each with the
   * role in force at `now`); at most `limit`, in id order.
   */
  listReviewMembers(tenantId: string, input: { signedInBefore: string; adminRoleId: string; limit: number; now: string }): Promise<ReviewMemberFact[]>;
  /** Elevations in force at `now` in the tenant that end before `endsBefore`, soonest first; at most `limit`. */
  listEndingElevations(tenantId: string, input: { now: string; endsBefore: string; limit: number }): Promise<EndingElevationFact[]>;
  /** Tokens in force at `now` of the tenant's members that have no expiry, were never used, or were last used before `usedBefore`. */
  listReviewTokens(tenantId: string, input: { now: string; usedBefore: string; limit: number }): Promise<ReviewTokenFact[]>;
  /** Custom roles of the tenant (and global custom roles, when `includeGlobal`) that nobody holds, anywhere: neither permanently nor through an elevation in force at `now`. */
  listUnheldCustomRoles(tenantId: string, includeGlobal: boolean, now: string): Promise<Role[]>;
  /** Writes a review and its decisions (outcomes as given). */
  createReview(review: AccessReviewRecord, decisions: readonly AccessReviewDecisionRecord[]): Promise<void>;
  /** Sets the outcome of decisions and marks the review completed. */
  completeReview(reviewId: string, outcomes: readonly Pick<AccessReviewDecisionRecord, 'position' | 'outcome' | 'error'>[], completedAt: string): Promise<void>;
  /** The tenant's reviews, newest first, after `before` (an id), with their counts. */
  listReviews(tenantId: string, input: { before?: string; limit: number }): Promise<AccessReviewSummary[]>;
  getReview(tenantId: string, reviewId: string): Promise<{ review: AccessReviewRecord; decisions: AccessReviewDecisionRecord[] } | undefined>;
  /** Every decision of the tenant's reviews, oldest review first, with its review: for an auditor's CSV. */
  listDecisionsOfTenant(tenantId: string): Promise<{ review: AccessReviewRecord; decision: AccessReviewDecisionRecord }[]>;
}

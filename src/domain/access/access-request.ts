/**
 * An access request (issue 9, part 2): a user asks for a role in a tenant, for a duration, with a
 * reason; an eligible approver (guards.ts, rule 7) approves it — which gives the user that role
 * as a time-bound assignment (an elevation, src/domain/roles/role-elevation.ts) from the approval
 * for the duration — or denies it. Every step is audited in category `rbac`.
 */
export const ACCESS_REQUEST_STATUSES = ['pending', 'approved', 'denied'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];

export interface AccessRequest {
  id: string;
  tenantId: string;
  /** Read with the request (not stored). */
  tenantSlug: string;
  userId: string;
  userEmail: string;
  roleId: string;
  /** The role's name when asked (the record outlives a deleted role). */
  roleName: string;
  /** What was asked for, in seconds; an approval may grant less (never more than the tenant's maximum). */
  durationSeconds: number;
  reason: string;
  status: AccessRequestStatus;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decidedByEmail: string | null;
  /** The approver's or denier's note. */
  decisionReason: string | null;
  /** Approved: when the elevation it made ends. */
  endsAt: string | null;
}

export type AccessRequestDecision = Pick<AccessRequest, 'status' | 'decidedAt' | 'decidedBy' | 'decidedByEmail' | 'decisionReason' | 'endsAt'>;

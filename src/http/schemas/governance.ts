import { z } from 'zod';
import { errorSummary, named, page, timestamp } from './common.ts';

const tenantRef = z.strictObject({ id: z.string(), slug: z.string() });
const personRef = z.strictObject({ id: z.string(), email: z.string(), displayName: z.string() });
const roleRef = z.strictObject({ id: z.string(), name: z.string(), builtIn: z.boolean() });

/** One permission of GET /users/:id/explain: held or not, through which assignment, else why and what would grant it. */
export const permissionExplanation = named(
  'PermissionExplanation',
  z.strictObject({
    permission: z.string(),
    installationWide: z.boolean(),
    /** Where the permission is decided: the tenant asked about, or `default` for installation-wide ones. */
    tenant: tenantRef,
    /** null: decided in `default`, where the caller may not see the user's role. */
    granted: z.boolean().nullable(),
    timeBound: z.boolean(),
    grantedBy: z
      .strictObject({
        tenant: tenantRef,
        role: roleRef,
        assignedAt: timestamp,
        assignedBy: z.strictObject({ id: z.string(), email: z.string().nullable() }).nullable(),
        auditEvent: z.strictObject({ id: z.string(), occurredAt: timestamp, actorId: z.string().nullable(), actorEmail: z.string().nullable(), role: z.string().nullable() }).nullable(),
        timeBound: z.boolean(),
        /** A time-bound assignment's end (null: permanent), and the permanent role that applies again then. */
        endsAt: timestamp.nullable(),
        thenRole: z.strictObject({ id: z.string(), name: z.string() }).nullable(),
      })
      .nullable(),
    /** Empty when granted; the first is the main reason. */
    reasons: z.array(z.strictObject({ code: z.string(), message: z.string() })),
    /** When the role is the obstacle: the roles that hold the permission there, and who may assign each. */
    wouldGrant: z.array(z.strictObject({ role: roleRef.extend({ scope: z.enum(['global', 'tenant']) }), assignableBy: z.array(personRef), assignableByCount: z.number() })),
  }),
);

/** GET /api/v1/users/:id/explain */
export const accessExplanation = named(
  'AccessExplanation',
  z.strictObject({
    user: z.strictObject({ id: z.string(), email: z.string(), displayName: z.string(), status: z.enum(['active', 'suspended']) }),
    tenant: tenantRef,
    timeBound: z.boolean(),
    permissions: z.array(permissionExplanation),
  }),
);

const findingKind = z.enum([
  'user_not_signed_in',
  'user_never_signed_in',
  'suspended_admin',
  'admin_without_two_factor',
  'token_unused',
  'token_never_used',
  'token_without_expiry',
  'role_without_holders',
  'orphaned_resource',
  'assignment_ending_soon',
]);

/** A finding of an access review: its subject, one sentence, and the facts behind it. */
export const accessReviewFinding = named(
  'AccessReviewFinding',
  z.strictObject({
    kind: findingKind,
    subject: z.strictObject({ type: z.enum(['user', 'token', 'role', 'resource']), id: z.string(), email: z.string().nullable(), name: z.string() }),
    detail: z.string(),
    /** Times ISO-8601, null when never. */
    facts: z.record(z.string(), z.union([z.string(), z.boolean(), z.null()])),
  }),
);

/** GET /api/v1/access-review */
export const accessReviewReport = named(
  'AccessReviewReport',
  z.strictObject({
    tenant: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
    generatedAt: timestamp,
    /** The duration asked for (`90d`) and the instant before which activity is stale. */
    stale: z.string(),
    staleBefore: timestamp,
    counts: z.record(findingKind, z.number()),
    findings: z.array(accessReviewFinding),
    /** A read hit its row limit: there may be more findings than listed. */
    truncated: z.boolean(),
  }),
);

const reviewRecord = {
  id: z.string(),
  tenantId: z.string(),
  reviewerId: z.string(),
  reviewerEmail: z.string(),
  stale: z.string(),
  staleBefore: timestamp,
  note: z.string().nullable(),
  truncated: z.boolean(),
  createdAt: timestamp,
  /** null while its decisions are being applied (or if that was interrupted). */
  completedAt: timestamp.nullable(),
};

/** POST /api/v1/access-reviews and GET /api/v1/access-reviews/:id */
export const recordedReview = named(
  'AccessReview',
  z.strictObject({
    review: z.strictObject({ ...reviewRecord, tenant: z.string() }),
    decisions: z.array(
      z.strictObject({
        reviewId: z.string(),
        position: z.number(),
        findingKind: z.string(),
        subject: z.strictObject({ type: z.string(), id: z.string(), email: z.string().nullable(), name: z.string() }),
        detail: z.string(),
        decision: z.enum(['keep', 'suspend', 'revoke_token', 'remove_role']),
        outcome: z.enum(['pending', 'kept', 'applied', 'refused']),
        error: errorSummary.nullable(),
      }),
    ),
  }),
);

/** GET /api/v1/access-reviews: past reviews with their counts. */
export const reviewSummaryPage = page(z.strictObject({ ...reviewRecord, findings: z.number(), applied: z.number(), refused: z.number() }));

export type AccessExplanation = z.infer<typeof accessExplanation>;
export type PermissionExplanation = z.infer<typeof permissionExplanation>;
export type AccessReviewReport = z.infer<typeof accessReviewReport>;
export type AccessReviewFinding = z.infer<typeof accessReviewFinding>;
export type RecordedReview = z.infer<typeof recordedReview>;
export type AccessReviewSummary = z.infer<typeof reviewSummaryPage>['items'][number];

import { z } from 'zod';
import { named, page, timestamp } from './common.ts';

/** An access request: a member asked for a role in a tenant, for a duration, with a reason. */
export const accessRequest = named(
  'AccessRequest',
  z.strictObject({
    id: z.string(),
    tenant: z.strictObject({ id: z.string(), slug: z.string() }),
    user: z.strictObject({ id: z.string(), email: z.string() }),
    role: z.strictObject({ id: z.string(), name: z.string() }),
    durationSeconds: z.number(),
    /** The duration in words ("4 hours"). */
    duration: z.string(),
    reason: z.string(),
    status: z.enum(['pending', 'approved', 'denied']),
    createdAt: timestamp,
    decidedAt: timestamp.nullable(),
    decidedBy: z.strictObject({ id: z.string(), email: z.string().nullable() }).nullable(),
    decisionReason: z.string().nullable(),
    /** Approved: when the time-bound role it gave ends. */
    endsAt: timestamp.nullable(),
  }),
);
export const accessRequestPage = page(accessRequest);

/** A row of the approvers' list: may the caller decide it? (The approval itself checks again.) */
export const accessRequestListItem = named(
  'AccessRequestListItem',
  accessRequest.extend({
    mayApprove: z.boolean(),
    /** Why not, as an error code (ACCESS_REQUEST_DECIDED, ROLE_NOT_FOUND…); null when they may. */
    refusal: z.string().nullable(),
  }),
);
export const accessRequestListPage = page(accessRequestListItem);

export type AccessRequest = z.infer<typeof accessRequest>;
export type AccessRequestListItem = z.infer<typeof accessRequestListItem>;

import { z } from 'zod';
import { AUDIT_CATEGORIES } from '../../domain/audit/audit-event.ts';
import { named, page, timestamp } from './common.ts';

export const auditCategory = z.enum(AUDIT_CATEGORIES);

const changedFields = z.record(z.string(), z.unknown()).nullable();

/** One event of the audit trail, as GET /audit and a user's activity read it. */
export const auditEvent = named(
  'AuditEvent',
  z.strictObject({
    id: z.string(),
    occurredAt: timestamp,
    /** The tenant the event belongs to; installation-wide events belong to `default`. */
    tenantId: z.string(),
    actorId: z.string().nullable(),
    /** The email the actor had when they acted. */
    actorEmail: z.string().nullable(),
    category: auditCategory,
    action: z.string(),
    outcome: z.enum(['success', 'failure', 'denied']),
    subjectType: z.string().nullable(),
    subjectId: z.string().nullable(),
    /** What changed: the fields before and after. Never a secret. */
    diff: z.strictObject({ before: changedFields, after: changedFields }).nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    // The names behind the ids, joined as the trail is read (null when gone since, or none).
    tenantSlug: z.string().nullable(),
    tenantName: z.string().nullable(),
    /** The actor's display name today. */
    actorName: z.string().nullable(),
    /** A user's display name, a role's or a tenant's name. */
    subjectName: z.string().nullable(),
    /** A user subject's email today. */
    subjectEmail: z.string().nullable(),
  }),
);
export const auditPage = page(auditEvent);

export type AuditEvent = z.infer<typeof auditEvent>;
export type AuditCategory = z.infer<typeof auditCategory>;

import { z } from 'zod';
import { auditEvent } from './audit.ts';
import { named, timestamp } from './common.ts';
import { sessionView } from './sessions.ts';
import { apiToken } from './tokens.ts';
import { mailDelivery, tenantPermissions, user } from './users.ts';

/** GET /api/v1/me: the caller, their tenants and roles, their effective permissions. */
export const me = named(
  'Me',
  z.strictObject({
    user,
    /** Their role and permissions in the tenant the request acts in; null where they hold none. */
    tenant: z.strictObject({ id: z.string(), slug: z.string(), role: z.string(), permissions: z.array(z.string()) }).nullable(),
    tenants: z.array(tenantPermissions),
    permissions: z.array(z.string()),
    via: z.enum(['session', 'token']),
    /** False for an account single sign-on created: it has no local password, and nothing that asks for one applies. */
    hasPassword: z.boolean(),
    /** When the avatar was set; null without one. */
    avatarUpdatedAt: timestamp.nullable(),
  }),
);

/** GET /api/v1/users/:id/activity */
export const activity = named(
  'Activity',
  z.strictObject({
    user,
    lastLogin: z.strictObject({ at: timestamp, ip: z.string().nullable(), userAgent: z.string().nullable() }).nullable(),
    sessions: z.array(sessionView),
    tokens: z.array(apiToken),
    /** False for an account single sign-on created: it has no local password. */
    hasPassword: z.boolean(),
    avatarUpdatedAt: timestamp.nullable(),
    /** Identity-provider accounts that sign in as this user. */
    identities: z.array(z.strictObject({ issuer: z.string(), subject: z.string(), createdAt: timestamp, lastLoginAt: timestamp.nullable() })),
    /** The newest invitation, reset or account notice mailed to the user; null if none, or without ManageUsers. */
    lastMail: mailDelivery.nullable(),
    /** How many of their 2FA recovery codes are still unused (the count only); null without 2FA enabled. */
    recoveryCodesLeft: z.number().int().nullable(),
    /** The last 50 events by or about them; null without ViewAuditLogs. */
    recentEvents: z.array(auditEvent).nullable(),
  }),
);

export type Me = z.infer<typeof me>;
export type Activity = z.infer<typeof activity>;

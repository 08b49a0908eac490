import { z } from 'zod';
import { errorSummary, named, timestamp } from './common.ts';
import { firstCredential, userView } from './users.ts';

/** One row of `POST /api/v1/users/import`'s report. */
export const importRow = z.discriminatedUnion('status', [
  z.strictObject({ line: z.number(), email: z.string(), status: z.literal('created'), user: userView, ...firstCredential }),
  z.strictObject({ line: z.number(), email: z.string(), status: z.literal('valid') }),
  z.strictObject({ line: z.number(), email: z.string(), status: z.literal('rejected'), error: errorSummary }),
]);

/** `POST /api/v1/users/import`: what each row of the file did (or would do, on a dry run). */
export const importReport = named(
  'ImportReport',
  z.strictObject({
    dryRun: z.boolean(),
    allOrNothing: z.boolean(),
    /** Whether users were written. */
    applied: z.boolean(),
    counts: z.strictObject({ rows: z.number(), created: z.number(), valid: z.number(), rejected: z.number() }),
    rows: z.array(importRow),
  }),
);

/** A row of an import job, as GET /users/imports/:id/rows pages them. */
export const importJobRow = named(
  'ImportJobRow',
  z.strictObject({
    line: z.number(),
    email: z.string(),
    status: z.enum(['pending', 'claimed', 'valid', 'created', 'rejected']),
    error: errorSummary.optional(),
    user: z.strictObject({ id: z.string(), email: z.string(), displayName: z.string(), role: z.string().nullable(), homeTenant: z.string(), status: z.string() }).optional(),
    passwordExpiresAt: timestamp.optional(),
    /** Shown once, to the admin who started the job, when nobody else can deliver it. */
    oneTimePassword: z.string().optional(),
    /** The one-time password was shown already, or lost with the server's key. */
    oneTimePasswordUnavailable: z.enum(['shown', 'lost']).optional(),
    invitation: firstCredential.invitation,
    notice: firstCredential.notice,
  }),
);

/** `POST /api/v1/users/imports` and `GET /api/v1/users/imports/:id`: a CSV import run as a job on the server. */
export const importJob = named(
  'ImportJob',
  z.strictObject({
    id: z.string(),
    status: z.enum(['receiving', 'queued', 'running', 'done', 'failed']),
    phase: z.enum(['validate', 'create']),
    dryRun: z.boolean(),
    allOrNothing: z.boolean(),
    applied: z.boolean(),
    counts: z.strictObject({ total: z.number(), done: z.number(), created: z.number(), valid: z.number(), failed: z.number(), pending: z.number() }),
    passwordsHashed: z.number(),
    resumed: z.number(),
    error: errorSummary.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    finishedAt: timestamp.nullable(),
    /** A page of the rows, in line order, when asked for. */
    rows: z.array(importJobRow).optional(),
    /** The line to pass as `afterLine` for the next page; null on the last. */
    nextAfterLine: z.number().nullable().optional(),
  }),
);

export type ImportRow = z.infer<typeof importRow>;
export type ImportReport = z.infer<typeof importReport>;
export type ImportJobRow = z.infer<typeof importJobRow>;
export type ImportJob = z.infer<typeof importJob>;

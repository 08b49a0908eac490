import { z } from 'zod';
import { named, timestamp } from './common.ts';

/** GET /api/v1/me/two-factor */
export const twoFactorStatus = named(
  'TwoFactorStatus',
  z.strictObject({
    enabled: z.boolean(),
    enabledAt: timestamp.nullable(),
    /** An enrolment was started and awaits its confirming code. */
    enrollmentPending: z.boolean(),
    recoveryCodesRemaining: z.number(),
    /** A Require 2FA policy (global, home tenant, or this request's tenant), or an admin's reset, holds them to it. */
    required: z.boolean(),
    /** An admin reset their 2FA and they haven't enrolled again yet. */
    reenrolmentRequired: z.boolean(),
  }),
);

/** POST /api/v1/me/two-factor/enrollment */
export const enrollmentStart = named(
  'TwoFactorEnrollment',
  z.strictObject({
    /** Base32, for typing into an app by hand. */
    secret: z.string(),
    otpauthUri: z.string(),
    qrCode: z.strictObject({ dataUrl: z.string(), svg: z.string() }),
    algorithm: z.string(),
    digits: z.number(),
    period: z.number(),
    expiresAt: timestamp,
  }),
);

export const enrollmentConfirmed = z.strictObject({ enabled: z.literal(true), recoveryCodes: z.array(z.string()), endedSessions: z.number() });
export const twoFactorDisabled = z.strictObject({ enabled: z.literal(false), endedSessions: z.number() });
export const recoveryCodes = z.strictObject({ recoveryCodes: z.array(z.string()) });
/** POST /api/v1/users/:id/reset-2fa */
export const twoFactorReset = z.strictObject({ userId: z.string(), wasEnabled: z.boolean(), reenrolmentRequired: z.boolean() });

export type TwoFactorStatus = z.infer<typeof twoFactorStatus>;
export type TwoFactorEnrollment = z.infer<typeof enrollmentStart>;
export type EnrollmentConfirmed = z.infer<typeof enrollmentConfirmed>;
export type TwoFactorDisabled = z.infer<typeof twoFactorDisabled>;
export type RecoveryCodes = z.infer<typeof recoveryCodes>;
export type TwoFactorReset = z.infer<typeof twoFactorReset>;

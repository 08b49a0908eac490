import { z } from 'zod';
import { named, timestamp } from './common.ts';
import { user } from './users.ts';

/** A session just opened (after one step or two): its cookie is set, the CSRF token is in the body. */
export const signedIn = named(
  'SignedIn',
  z.strictObject({
    user,
    mustChangePassword: z.boolean(),
    /** A Require 2FA policy holds them to enrol before anything else. */
    twoFactorEnrollmentRequired: z.boolean(),
    csrfToken: z.string(),
    session: z.strictObject({ id: z.string(), expiresAt: timestamp, idleExpiresAt: timestamp }),
  }),
);

/** With 2FA on: no cookie yet, only the challenge the second step needs. */
export const twoFactorChallenge = named('TwoFactorChallenge', z.strictObject({ twoFactorRequired: z.literal(true), challenge: z.string(), expiresAt: timestamp }));

/** POST /api/v1/auth/login */
export const loginResult = z.union([twoFactorChallenge, signedIn]);

/** POST /api/v1/auth/password */
export const passwordChanged = z.strictObject({ endedSessions: z.number(), revokedTokens: z.number() });

/** POST /api/v1/auth/forgot-password: the same whether the email has an account or not. */
export const forgotPasswordAccepted = z.strictObject({ status: z.literal('accepted'), message: z.string() });

/** POST /api/v1/auth/redeem-link */
export const linkRedeemed = z.strictObject({ email: z.string() });

/** GET /api/v1/auth/sso/config: whether the sign-in page offers single sign-on. */
export const ssoConfig = named('SsoConfig', z.union([z.strictObject({ enabled: z.literal(false) }), z.strictObject({ enabled: z.literal(true), buttonLabel: z.string(), loginUrl: z.string() })]));

/** A browser route's answer: 302 to `location`. */
export const redirect = z.strictObject({ location: z.string() });

export type SignedIn = z.infer<typeof signedIn>;
export type LoginResult = z.infer<typeof loginResult>;
export type SsoConfig = z.infer<typeof ssoConfig>;
export type LinkRedeemed = z.infer<typeof linkRedeemed>;

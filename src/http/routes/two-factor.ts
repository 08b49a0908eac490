import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams, password } from './schemas.ts';
import { enrollmentConfirmed, enrollmentStart, recoveryCodes, twoFactorDisabled, twoFactorReset, twoFactorStatus } from '../schemas/two-factor.ts';

const currentPassword = z.object({ currentPassword: password }).strict();

/** Self-service TOTP under /me/two-factor (reachable while enrolment is required), and the admin reset. */
export const twoFactorRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/me/two-factor',
    summary: 'Whether your 2FA is on, required, and how many recovery codes are left',
    tag: 'two-factor',
    access: 'authenticated',
    allowDuringTwoFactorEnrollment: true,
    response: twoFactorStatus,
    async handler({ actor, services }) {
      return services.twoFactor.status(actor);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/two-factor/enrollment',
    summary: 'Start enrolling an authenticator app: a new secret, its otpauth URI and QR code',
    tag: 'two-factor',
    access: 'authenticated',
    allowDuringTwoFactorEnrollment: true,
    status: 201,
    response: enrollmentStart,
    async handler({ actor, services }) {
      return services.twoFactor.startEnrollment(actor);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/two-factor/enrollment/confirm',
    summary: 'Turn 2FA on with a code from the app and your password; returns the recovery codes once',
    tag: 'two-factor',
    access: 'authenticated',
    allowDuringTwoFactorEnrollment: true,
    body: z.object({ code: z.string().min(1).max(20), currentPassword: password }).strict(),
    response: enrollmentConfirmed,
    async handler({ actor, body, services }) {
      return services.twoFactor.confirmEnrollment(actor, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/two-factor/disable',
    summary: 'Turn 2FA off (your password required); your other sessions end',
    tag: 'two-factor',
    access: 'authenticated',
    body: currentPassword,
    response: twoFactorDisabled,
    async handler({ actor, body, services }) {
      return services.twoFactor.disable(actor, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/two-factor/recovery-codes',
    summary: 'Replace your recovery codes (your password required); the old ones stop working',
    tag: 'two-factor',
    access: 'authenticated',
    body: currentPassword,
    response: recoveryCodes,
    async handler({ actor, body, services }) {
      return services.twoFactor.regenerateRecoveryCodes(actor, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/reset-2fa',
    summary: "Remove a user's authenticator and recovery codes; they enrol again at next sign-in",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: twoFactorReset,
    async handler({ actor, params, services }) {
      return services.twoFactor.reset(actor, params.id);
    },
  }),
];

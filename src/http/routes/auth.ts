import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../domain/services.ts';
import { DomainError } from '../../domain/errors.ts';
import type { LoginResult } from '../../domain/sessions/auth-service.ts';
import { DEVICE_COOKIE, originOf, SESSION_COOKIE } from '../authenticate.ts';
import { defineRoute } from '../route.ts';
import { requireSameOrigin } from '../same-origin.ts';
import { clearSessionCookies, setDeviceCookie, setSessionCookies } from '../session-cookies.ts';
import { email, password } from './schemas.ts';
import { forgotPasswordAccepted, loginResult, passwordChanged, signedIn as signedInAnswer } from '../schemas/auth.ts';

/** Where a sign-in attempt comes from, with the browser's trusted-device cookie. */
function loginOriginOf(request: FastifyRequest) {
  const deviceToken = request.cookies[DEVICE_COOKIE];
  return { ...originOf(request), ...(deviceToken ? { deviceToken } : {}) };
}

/** Sets the cookies of a new session and answers the login body (the same after one step or two). */
function signedIn(result: LoginResult, services: Services, request: FastifyRequest, reply: FastifyReply) {
  setSessionCookies(reply, request, result, result.expiresAt, services.context.clock.now().getTime());
  if (result.deviceToken) setDeviceCookie(reply, request, result.deviceToken, services.loginThrottle.trustedDeviceLifetime);
  return {
    user: result.user,
    mustChangePassword: result.mustChangePassword,
    twoFactorEnrollmentRequired: result.twoFactorEnrollmentRequired,
    csrfToken: result.csrfToken,
    session: { id: result.session.id, expiresAt: result.session.expiresAt, idleExpiresAt: new Date(result.expiresAt).toISOString() },
  };
}

/** Exactly one of `code` and `recoveryCode`; the errors say which field is wrong, not just "invalid input". */
const secondFactor = z
  .object({
    challenge: z.string('challenge: send the challenge from the login answer as a string').min(1).max(200),
    code: z.string('code: send the 6-digit code as a string, e.g. "123456"').min(1).max(20).optional(),
    recoveryCode: z.string('recoveryCode: send the recovery code as a string').min(1).max(40).optional(),
  })
  .strict()
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), {
    message: 'Send exactly one of "code" (from your authenticator app) and "recoveryCode".',
  })
  .transform((body) => ({ challenge: body.challenge, factor: body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode! } }));

export const authRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Sign in with email and password; sets the session cookie, or answers a challenge for the second factor',
    tag: 'auth',
    access: 'public',
    body: z.object({ email, password }),
    response: loginResult,
    async handler({ body, services, request, reply }) {
      // Sets the session cookie: another site can't sign a browser in (to the attacker's account, say).
      requireSameOrigin(request, services.context.settings.publicUrl);
      const result = await services.auth.login(body.email, body.password, loginOriginOf(request), request.cookies[SESSION_COOKIE]);
      // With 2FA on: no cookie yet, only the challenge the second step needs.
      if (result.twoFactorRequired) return { twoFactorRequired: true as const, challenge: result.challenge, expiresAt: result.expiresAt };
      return signedIn(result, services, request, reply);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/login/two-factor',
    summary: 'Second sign-in step: the challenge and a TOTP code or a recovery code; sets the session cookie',
    tag: 'auth',
    access: 'public',
    body: secondFactor,
    response: signedInAnswer,
    async handler({ body, services, request, reply }) {
      requireSameOrigin(request, services.context.settings.publicUrl);
      const result = await services.auth.completeTwoFactorLogin(body.challenge, body.factor, loginOriginOf(request), request.cookies[SESSION_COOKIE]);
      return signedIn(result, services, request, reply);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/forgot-password',
    summary: 'Ask for a password reset mail: the same 202 answer whether the email has an account or not; 409 without SMTP, 429 with Retry-After when throttled',
    tag: 'auth',
    access: 'public',
    status: 202,
    body: z.object({ email }),
    response: forgotPasswordAccepted,
    async handler({ body, services, request, reply }) {
      // Another site can't have its visitors' browsers send reset mails on its behalf.
      requireSameOrigin(request, services.context.settings.publicUrl);
      reply.header('cache-control', 'no-store');
      try {
        return await services.forgotPassword.request(body.email, originOf(request));
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'rate_limited') reply.header('retry-after', String(error.details.retryAfterSeconds));
        throw error;
      }
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/logout',
    summary: 'End the current session on the server',
    tag: 'auth',
    access: 'authenticated',
    allowDuringPasswordChange: true,
    allowDuringTwoFactorEnrollment: true,
    status: 204,
    async handler({ actor, services, reply }) {
      await services.auth.logout(actor);
      clearSessionCookies(reply);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/password',
    summary: 'Change your own password (required after a one-time password)',
    tag: 'auth',
    access: 'authenticated',
    allowDuringPasswordChange: true,
    allowDuringTwoFactorEnrollment: true,
    body: z.object({ currentPassword: password, newPassword: password, endOtherSessions: z.boolean().optional(), revokeTokens: z.boolean().optional() }),
    response: passwordChanged,
    async handler({ actor, body, services }) {
      return services.auth.changePassword(actor, body.currentPassword, body.newPassword, { endOtherSessions: body.endOtherSessions, revokeTokens: body.revokeTokens });
    },
  }),
];

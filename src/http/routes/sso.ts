import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { Services } from '../../domain/services.ts';
import { ssoNotConfigured } from '../../domain/sso/sso-errors.ts';
import { SSO_LOGIN_STATE_LIFETIME_MS } from '../../domain/sso/sso-login-state.ts';
import { originOf, SESSION_COOKIE } from '../authenticate.ts';
import { isUniqueViolation } from '../errors.ts';
import { defineRoute } from '../route.ts';
import { setDeviceCookie, setSessionCookies } from '../session-cookies.ts';
import { redirect as redirectAnswer, ssoConfig } from '../schemas/auth.ts';

/** Binds a sign-in in progress to the browser that started it; sent back on the provider's redirect (SameSite=Lax). */
export const SSO_STATE_COOKIE = 'sophon_sso_state';
const SSO_PATH = '/api/v1/auth/sso';
const CALLBACK_PATH = `${SSO_PATH}/callback`;

/** Where the provider sends the browser back: register exactly this URL as the client's redirect URI. */
export function ssoRedirectUri(services: Services): string {
  return `${services.context.settings.publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
}

/** A browser route's answer: 302 to `location`. */
function redirect(reply: FastifyReply, location: string) {
  reply.header('location', location).header('cache-control', 'no-store');
  return { location };
}

/** The dashboard's root path: `/`, or PublicUrl's path behind a reverse proxy that adds a prefix. */
const dashboardPath = (services: Services) => `${new URL(services.context.settings.publicUrl).pathname.replace(/\/+$/, '')}/`;

/** Back to the dashboard's sign-in page, which shows the message for the code. */
const signInPageWith = (services: Services, code: string) => `${dashboardPath(services)}login?ssoError=${encodeURIComponent(code)}`;

/** A refusal the browser should see on the sign-in page; anything else (a bug, the database) stays a 500. */
function codeOf(error: unknown): string | undefined {
  if (error instanceof DomainError) return error.code;
  if (isUniqueViolation(error)) return 'CONFLICT';
  return undefined;
}

function requireEnabled(services: Services): void {
  if (!services.sso.enabled) throw ssoNotConfigured();
}

function clearStateCookie(reply: FastifyReply, request: FastifyRequest): void {
  reply.clearCookie(SSO_STATE_COOKIE, { path: SSO_PATH, httpOnly: true, sameSite: 'lax', secure: request.server.cookieSecure });
}

export const ssoRoutes = [
  defineRoute({
    method: 'GET',
    url: `${SSO_PATH}/config`,
    summary: 'Whether single sign-on is on, and the label of its button (for the sign-in page)',
    tag: 'auth',
    access: 'public',
    response: ssoConfig,
    async handler({ services }) {
      return services.sso.publicConfig(SSO_PATH);
    },
  }),
  defineRoute({
    method: 'GET',
    url: SSO_PATH,
    summary: 'Start single sign-on: redirects the browser to the identity provider (authorization code + PKCE)',
    tag: 'auth',
    access: 'public',
    status: 302,
    response: redirectAnswer,
    async handler({ services, request, reply }) {
      requireEnabled(services);
      try {
        const started = await services.sso.begin(ssoRedirectUri(services), originOf(request));
        reply.setCookie(SSO_STATE_COOKIE, started.state, {
          httpOnly: true,
          // Lax, not Strict: the cookie must come back on the provider's top-level redirect to the callback.
          sameSite: 'lax',
          path: SSO_PATH,
          secure: request.server.cookieSecure,
          maxAge: Math.floor(SSO_LOGIN_STATE_LIFETIME_MS / 1000),
        });
        return redirect(reply, started.url);
      } catch (error) {
        // Too many starts from this address: 429 with Retry-After, for the script that sent them.
        if (error instanceof DomainError && error.kind === 'rate_limited') {
          reply.header('retry-after', String(error.details.retryAfterSeconds)).header('cache-control', 'no-store');
          throw error;
        }
        const code = codeOf(error);
        if (!code) throw error;
        return redirect(reply, signInPageWith(services, code));
      }
    },
  }),
  defineRoute({
    method: 'GET',
    url: CALLBACK_PATH,
    summary: "The identity provider's redirect back: signs the user in (session cookie) and redirects to the dashboard",
    tag: 'auth',
    access: 'public',
    status: 302,
    query: z.looseObject({
      code: z.string().max(4096).optional(),
      state: z.string().max(1024).optional(),
      iss: z.string().max(2048).optional(),
      error: z.string().max(256).optional(),
      error_description: z.string().max(2048).optional(),
    }),
    response: redirectAnswer,
    async handler({ services, request, reply }) {
      requireEnabled(services);
      clearStateCookie(reply, request);
      // The URL the provider redirected to, as registered (not as the Host header says), with the query as sent.
      const callbackUrl = new URL(ssoRedirectUri(services));
      callbackUrl.search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      try {
        const result = await services.sso.complete({
          callbackUrl,
          browserState: request.cookies[SSO_STATE_COOKIE],
          origin: originOf(request),
          previousSessionToken: request.cookies[SESSION_COOKIE],
        });
        setSessionCookies(reply, request, result, result.expiresAt, services.context.clock.now().getTime());
        if (result.deviceToken) setDeviceCookie(reply, request, result.deviceToken, services.loginThrottle.trustedDeviceLifetime);
        return redirect(reply, dashboardPath(services));
      } catch (error) {
        const code = codeOf(error);
        if (!code) throw error;
        return redirect(reply, signInPageWith(services, code));
      }
    },
  }),
];

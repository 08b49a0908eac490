import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_COOKIE, DEVICE_COOKIE, SESSION_COOKIE } from './authenticate.ts';

/**
 * The session cookie lives exactly as long as the session may: until the earlier of the
 * idle deadline and the absolute one. It is re-issued whenever the server records activity,
 * so it slides with the idle timeout and never outlives the session on the server.
 */
export function setSessionCookies(reply: FastifyReply, request: FastifyRequest, values: { sessionToken: string; csrfToken?: string }, expiresAt: number, now: number): void {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  const secure = request.server.cookieSecure;
  reply.setCookie(SESSION_COOKIE, values.sessionToken, { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge });
  // Readable by the dashboard's script, which echoes it in X-CSRF-Token; a foreign page can't read it.
  if (values.csrfToken) reply.setCookie(CSRF_COOKIE, values.csrfToken, { httpOnly: false, sameSite: 'strict', path: '/', secure, maxAge });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

/** The trusted-device cookie: sent only to the sign-in endpoints. */
export function setDeviceCookie(reply: FastifyReply, request: FastifyRequest, deviceToken: string, lifetime: number): void {
  reply.setCookie(DEVICE_COOKIE, deviceToken, { httpOnly: true, sameSite: 'strict', path: '/api/v1/auth', secure: request.server.cookieSecure, maxAge: Math.floor(lifetime / 1000) });
}

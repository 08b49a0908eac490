import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../domain/audit/audit-log.ts';
import type { Actor } from '../domain/context.ts';
import { DomainError, unauthenticated } from '../domain/errors.ts';
import type { Services } from '../domain/services.ts';
import type { AuthorizationFacts } from '../domain/access/authorization-facts.ts';
import type { Authenticated } from '../domain/sessions/auth-service.ts';
import { hasUsablePassword } from '../domain/users/passwords.ts';
import type { AnyRoute } from './route.ts';
import { requireSameOrigin } from './same-origin.ts';
import { clearSessionCookies, setSessionCookies } from './session-cookies.ts';
import { fail } from '../domain/error-catalogue.ts';

export const SESSION_COOKIE = 'sophon_session';
export const CSRF_COOKIE = 'sophon_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const TENANT_HEADER = 'x-sophon-tenant';
/** Marks a browser that completed a sign-in (see domain/login-throttle/trusted-device.ts). */
export const DEVICE_COOKIE = 'sophon_device';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function originOf(request: FastifyRequest) {
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null };
}

function credentialOf(request: FastifyRequest): { kind: 'token' | 'session'; value: string } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw fail('AUTHORIZATION_HEADER_INVALID');
    return { kind: 'token', value: match[1] };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { kind: 'session', value: cookie } : undefined;
}

/**
 * Runs before the body is even parsed: who is calling, in which tenant, and whether the
 * route's declared requirement is met. A caller who lacks the permission learns nothing
 * about the input, and the refusal is written to the audit log.
 */
export async function authorizeRequest(services: Services, route: AnyRoute, request: FastifyRequest, reply?: FastifyReply): Promise<Actor | undefined> {
  if (route.access === 'public') return undefined;
  const credential = credentialOf(request);
  if (!credential) throw fail('AUTHENTICATION_REQUIRED');

  const named = headerValue(request, TENANT_HEADER) || null;
  let authenticated: Authenticated & { facts: AuthorizationFacts };
  if (credential.kind === 'token') {
    authenticated = await services.auth.authenticate(credential, named);
  } else {
    // Beside the CSRF token: a write a browser says came from another site is refused before the session is looked at.
    if (!safeMethods.has(request.method)) requireSameOrigin(request, services.context.settings.publicUrl);
    const bySession = await services.auth.authenticate(credential, named).catch((error: unknown) => {
      // An ended or expired session takes its cookies with it.
      if (reply && error instanceof DomainError && error.kind === 'unauthenticated') clearSessionCookies(reply);
      throw error;
    });
    if (bySession.via !== 'session') throw new Error('a session cookie resolved to something else than a session');
    // A cookie rides along on cross-site requests; the CSRF token, which a foreign page can't read, doesn't.
    if (!safeMethods.has(request.method) && !services.auth.csrfMatches(bySession.session, headerValue(request, CSRF_HEADER))) {
      throw fail('CSRF_TOKEN_INVALID', { CSRF_HEADER, CSRF_COOKIE });
    }
    authenticated = bySession;
    // Activity recorded: the cookie's lifetime slides with the idle deadline, never past the session's.
    if (reply && bySession.touched) {
      setSessionCookies(reply, request, { sessionToken: credential.value, csrfToken: request.cookies[CSRF_COOKIE] }, bySession.expiresAt, services.context.clock.now().getTime());
    }
  }
  const { user } = authenticated;
  // A session opened through single sign-on didn't use the local password, so it isn't held to change it.
  const viaSingleSignOn = authenticated.via === 'session' && authenticated.session.method === 'sso';
  if (user.mustChangePassword && !route.allowDuringPasswordChange && !viaSingleSignOn) {
    throw fail('PASSWORD_CHANGE_REQUIRED');
  }

  const { facts } = authenticated;
  // A tenant the caller has no role in is indistinguishable from one that doesn't exist.
  if (named !== null && (!facts.acting || !facts.acting.role)) {
    throw fail('TENANT_NOT_FOUND', { tenant: named.slice(0, 100) });
  }
  const tenantId = facts.acting?.tenant.id ?? user.homeTenantId;
  const actor: Actor = {
    userId: user.id,
    email: user.email,
    homeTenantId: user.homeTenantId,
    tenantId,
    ...originOf(request),
    sessionId: authenticated.via === 'session' ? authenticated.session.id : null,
    tokenId: authenticated.via === 'token' ? authenticated.token.id : null,
    twoFactorExempt: viaSingleSignOn || !hasUsablePassword(user.passwordHash),
  };
  // The request's decisions, here and in the domain's re-checks, come from what was just read: no further round trip.
  const defaultTenantId = await services.access.defaultTenantId();
  services.access.remember(actor, tenantId, facts.acting?.role, tenantId === defaultTenantId);
  services.access.remember(actor, defaultTenantId, facts.roleInDefault, true);
  if (facts.acting) services.access.rememberTenant(actor, facts.acting.tenant);

  // Answered in a fixed order: enrolment first, whatever the permission.
  const permission = typeof route.access === 'object' ? route.access.permission : undefined;
  // Require 2FA guards the local password: a session opened through single sign-on, and an account
  // without a password, answer to the identity provider's MFA instead (docs/sso.md).
  const exempt = route.allowDuringTwoFactorEnrollment || actor.twoFactorExempt === true;
  const mustEnrol = exempt ? false : services.twoFactor.enrollmentRequiredFrom(facts, facts.acting?.tenant.slug ?? null);
  const permitted = permission ? await services.access.holds(actor, permission, tenantId) : true;
  if (mustEnrol) {
    throw fail('TWO_FACTOR_ENROLLMENT_REQUIRED');
  }
  if (permission && !permitted) {
    try {
      // Builds the refusal (naming the permission and the tenant it was evaluated in); rare, so it may re-read.
      await services.access.require(actor, permission, tenantId);
    } catch (error) {
      if (error instanceof DomainError) await recordRefusal(services, actor, `${route.method} ${route.url}`, error);
      throw error;
    }
  }
  return actor;
}

/** Writes a refused authorization (at the route, or inside a command) to the audit log. */
export async function recordRefusal(services: Services, actor: Actor, route: string, error: DomainError): Promise<void> {
  await recordAudit(services.context, services.context.store, actor, {
    category: 'authz',
    action: 'permission.denied',
    outcome: 'denied',
    detail: { route, code: error.code, missingPermission: error.details.missingPermission ?? null, tenant: error.details.tenant ?? null },
  });
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

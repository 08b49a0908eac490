import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieValue, SophonAuthzError, type AuthorizationAnswer, type Credential, type ErrorBody, type SophonAuthz } from './client.ts';
import type { Permission } from './permissions.ts';

export interface RequiresPermissionOptions {
  /**
   * The tenant to ask about (slug or id). By default the incoming X-Sophon-Tenant header, as
   * Sophon's own routes read it, else the caller's home tenant.
   */
  tenant?: (request: FastifyRequest) => string | undefined | Promise<string | undefined>;
}

export type AllowedAnswer = Extract<AuthorizationAnswer, { allowed: true }>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A Fastify preHandler that lets the request through when Sophon says its caller holds the
 * permission, and otherwise answers what a route of Sophon's would: 403 PERMISSION_MISSING (or
 * 404 TENANT_NOT_FOUND) in Sophon's envelope, Sophon's own 401 for a missing, expired or revoked
 * credential (and its 403 for a password change or 2FA enrolment still due), 503
 * AUTHORIZATION_UNAVAILABLE when Sophon can't be asked. One round trip per request, no cache:
 * a revocation applies at the next request.
 */
export function requiresPermissionWith(client: SophonAuthz, permission: Permission, options: RequiresPermissionOptions = {}) {
  return async function sophonRequiresPermission(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // As Sophon reads the header: empty means the caller's home tenant.
    const tenant = (options.tenant ? await options.tenant(request) : headerValue(request, 'x-sophon-tenant')) || undefined;
    let answer: AuthorizationAnswer;
    try {
      answer = await client.check(credentialOf(request), permission, tenant);
    } catch (error) {
      if (!(error instanceof SophonAuthzError)) throw error;
      // A refusal is the caller's business (the request log shows its status); Sophon out of reach is the operator's.
      if (error.status >= 500) request.log.error({ code: error.body.error.code }, error.body.error.message);
      await reply.code(error.status).send(error.body);
      return;
    }
    if (answer.allowed === true) {
      request.sophonAuthorization = answer;
      return;
    }
    await reply.code(answer.reason === 'TENANT_NOT_FOUND' ? 404 : 403).send(refusalOf(answer));
  };
}

/** The envelope Sophon's own route would have answered for the same refusal. */
export function refusalOf(answer: Extract<AuthorizationAnswer, { allowed: false }>): ErrorBody {
  if (answer.reason === 'PERMISSION_MISSING') {
    // Sophon's 403 names the tenant the permission was evaluated in (`default` for installation-wide ones).
    return { error: { code: 'PERMISSION_MISSING', message: answer.message, missingPermission: answer.missingPermission, tenant: answer.evaluatedIn } };
  }
  return { error: { code: answer.reason, message: answer.message } };
}

/**
 * The end user's credential from the incoming request. Sophon's rules for a cookie follow the
 * incoming method, as on Sophon's own routes: a GET needs no CSRF token (the `sophon_csrf`
 * cookie stands in for it, since the check itself is a POST), a write must carry X-CSRF-Token
 * and passes Sophon's same-origin rule on its Origin / Sec-Fetch-Site.
 */
export function credentialOf(request: FastifyRequest): Credential {
  const cookie = headerValue(request, 'cookie');
  const safe = SAFE_METHODS.has(request.method);
  return {
    authorization: headerValue(request, 'authorization'),
    cookie,
    csrfToken: headerValue(request, 'x-csrf-token') ?? (safe ? cookieValue(cookie, 'sophon_csrf') : undefined),
    origin: safe ? undefined : headerValue(request, 'origin'),
    secFetchSite: safe ? undefined : headerValue(request, 'sec-fetch-site'),
  };
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Sophon's answer when requiresPermission let the request through: the granting role, the tenant. */
    sophonAuthorization?: AllowedAnswer;
  }
}

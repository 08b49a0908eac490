import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import type { Services } from '../domain/services.ts';
import { Metrics, type SignInMethod, type SignInOutcome } from '../observability/metrics.ts';
import { SESSION_COOKIE } from './authenticate.ts';
import type { Access, AnyRoute } from './route.ts';

/** What GET /metrics and GET /readyz answer from; one per server (src/http/server.ts builds it). */
export interface Observability {
  metrics: Metrics;
  /** Resolves when this server can take traffic; throws a 503 DomainError saying why not. */
  /** GET /readyz's answer when ready; throws (DATABASE_UNREACHABLE, DATABASE_SCHEMA_BEHIND) when not. */
  readiness(): Promise<{ status: 'ready'; migrations?: number }>;
}

/** For an app built without one (benchmarks): request metrics only, ready when the store answers. */
export function defaultObservability(services: Services): Observability {
  return {
    metrics: new Metrics(),
    readiness: async () => {
      await services.tenants.ping();
      return { status: 'ready' };
    },
  };
}

/** The routes where someone signs in, by the method they use. */
const signInRoutes: Record<string, SignInMethod> = {
  'POST /api/v1/auth/login': 'password',
  'POST /api/v1/auth/login/two-factor': 'two_factor',
  'GET /api/v1/auth/sso/callback': 'sso',
};

/**
 * Counts every answer, read from the outside of the request only, so neither the routes nor
 * the domain change for it: the time by route pattern and status; the permission decisions,
 * from whether authorization let the request through (it sets `request.actor`) or refused it
 * with PERMISSION_MISSING; and sign-ins, from the status and whether a session cookie was set.
 * Hooks are added before the routes, so they apply to all of them.
 */
export function installObservability(app: FastifyInstance, observability: Observability, routes: readonly AnyRoute[]): void {
  app.decorate('observability', observability);
  const { metrics } = observability;
  const accessOf = new Map<string, Access>(routes.map((route) => [`${route.method} ${route.url}`, route.access]));
  const errors = new WeakMap<FastifyRequest, unknown>();

  // Runs before the error handler, for errors from authorization (onRequest) as from handlers.
  app.addHook('onError', async (request, _reply, error) => {
    errors.set(request, error);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    metrics.requestDuration.observe({ method: request.method, route: route ?? '(unmatched)', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === undefined) return;
    // HEAD runs the GET route it mirrors, with the same declaration.
    const key = `${request.method === 'HEAD' ? 'GET' : request.method} ${route}`;
    const error = errors.get(request);
    const code = error instanceof DomainError ? error.code : undefined;

    const access = accessOf.get(key);
    if (typeof access === 'object') {
      if (request.actor) metrics.authorizationDecisions.inc({ stage: 'route', permission: access.permission, outcome: 'granted' });
      else if (code === 'PERMISSION_MISSING') metrics.authorizationDecisions.inc({ stage: 'route', permission: access.permission, outcome: 'denied' });
    }
    // A refusal inside a command, past the route's check (an escalation, a user managed from elsewhere).
    if (request.actor && error instanceof DomainError && error.kind === 'forbidden') {
      const missing = error.details.missingPermission;
      metrics.authorizationDecisions.inc({ stage: 'command', permission: typeof missing === 'string' ? missing : 'none', outcome: 'denied' });
    }

    const method = signInRoutes[key];
    const outcome = method ? signInOutcome(method, reply, code) : undefined;
    if (method && outcome) metrics.signIns.inc({ method, outcome });
  });
}

/**
 * From the answer alone. A throttled password or code answers exactly like a wrong one (so
 * the answer reveals no lock) and is counted as a failure; the audit trail has the reason.
 * Single sign-on says throttled in its redirect (SSO_TOO_MANY_ATTEMPTS).
 */
function signInOutcome(method: SignInMethod, reply: FastifyReply, code: string | undefined): SignInOutcome | undefined {
  const status = reply.statusCode;
  const sessionIssued = setCookies(reply).some((line) => line.startsWith(`${SESSION_COOKIE}=`) && !line.startsWith(`${SESSION_COOKIE}=;`));
  if (method === 'sso') {
    if (status !== 302) return undefined;
    if (sessionIssued) return 'success';
    const location = String(reply.getHeader('location') ?? '');
    return location.includes('ssoError=SSO_TOO_MANY_ATTEMPTS') ? 'throttled' : 'failure';
  }
  if (status === 200) return sessionIssued ? 'success' : method === 'password' ? 'two_factor_challenge' : undefined;
  if (status === 429 || code?.includes('THROTTLED')) return 'throttled';
  if (status === 401 || status === 403) return 'failure';
  // A malformed request (400) or a server error is not a sign-in attempt.
  return undefined;
}

function setCookies(reply: FastifyReply): string[] {
  const header = reply.getHeader('set-cookie');
  return header === undefined ? [] : Array.isArray(header) ? header.map(String) : [String(header)];
}

declare module 'fastify' {
  interface FastifyInstance {
    observability: Observability;
  }
}

import cookie from '@fastify/cookie';
import { Readable } from 'node:stream';
import { z } from 'zod';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { isPermission } from '../domain/permissions.ts';
import type { Services } from '../domain/services.ts';
import { authorizeRequest, recordRefusal } from './authenticate.ts';
import { messageOf } from '../domain/error-catalogue.ts';
import { isUniqueViolation, statusOf, toErrorResponse } from './errors.ts';
import { defaultObservability, installObservability, type Observability } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { AnyRoute } from './route.ts';
import { apiRoutes } from './routes/index.ts';
import { fail } from '../domain/error-catalogue.ts';

export class RouteDeclarationError extends Error {
  override name = 'RouteDeclarationError';
}

/** Refuses a route table in which any route doesn't say what it requires. */
export function checkRouteDeclarations(routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    const access: unknown = route.access;
    const valid =
      access === 'public' ||
      access === 'authenticated' ||
      (typeof access === 'object' && access !== null && typeof (access as { permission?: unknown }).permission === 'string' && isPermission((access as { permission: string }).permission));
    if (!valid) {
      throw new RouteDeclarationError(
        `${route.method} ${route.url} declares no valid access requirement (got ${JSON.stringify(access)}): give it { permission: <catalogue name> }, 'public' or 'authenticated'.`,
      );
    }
  }
}

export interface AppOptions {
  services: Services;
  logger?: FastifyServerOptions['logger'];
  cookieSecure?: boolean;
  /** Which proxies' X-Forwarded-For to believe (Fastify's trustProxy); the client address drives per-IP throttling. */
  trustProxy?: boolean | string;
  /** Replaces the route table (tests use it to prove an undeclared route stops the server). */
  routes?: readonly AnyRoute[];
  /** What GET /metrics and GET /readyz answer from (src/http/metrics.ts). */
  observability?: Observability;
  /**
   * Check every success answer against its route's `response` schema and answer 500
   * RESPONSE_SCHEMA_MISMATCH when it differs (a field undeclared, missing or of another type):
   * every test server does, so the documented shapes and the dashboard's types can't drift.
   */
  checkResponses?: boolean;
}

/** Builds the HTTP application; `listen` is the caller's business (src/http/server.ts, tests, benchmarks). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // Unknown body fields are refused, not ignored: a client sending `status` or `ownerId` where
  // they can't be set must learn it wasn't applied.
  const routes = (options.routes ?? apiRoutes).map((route) => (route.body instanceof z.ZodObject ? { ...route, body: route.body.strict() } : route));
  checkRouteDeclarations(routes);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    // Errors the router raises before any route runs still answer in the one envelope.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      (reply as FastifyReply).status(statusOf(tooLong ? 'URL_PARAMETER_TOO_LONG' : 'URL_INVALID')).send({
        error: tooLong
          ? { code: 'URL_PARAMETER_TOO_LONG', message: messageOf('URL_PARAMETER_TOO_LONG', {}) }
          : { code: 'URL_INVALID', message: messageOf('URL_INVALID', {}) },
      });
    },
  });
  await app.register(cookie);
  // Avatars arrive as raw image bytes; their type is decided from the bytes, not from this header.
  app.addContentTypeParser(['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) =>
    done(null, body),
  );
  // CSV imports arrive as the file itself; 1000 rows of the seed's columns fit well within 5 MiB.
  // As bytes: the import decodes them in the charset they came in, and refuses bytes that aren't text.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_request, body, done) => done(null, body));
  app.decorate('cookieSecure', options.cookieSecure ?? false);

  app.setErrorHandler(async (error, request, reply) => {
    // Refusals inside a command (an escalation, a user managed from another tenant) are audited
    // like those at the route; those at the route were recorded before any actor was set.
    if (error instanceof DomainError && error.kind === 'forbidden' && request.actor) {
      await recordRefusal(options.services, request.actor, `${request.method} ${request.routeOptions.url}`, error);
    }
    const mapped = toErrorResponse(error);
    if (mapped) return reply.status(mapped.status).send(mapped.body);
    if (isUniqueViolation(error)) {
      return reply.status(statusOf('CONFLICT')).send({ error: { code: 'CONFLICT', message: messageOf('CONFLICT', {}) } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(statusOf('INTERNAL')).send({ error: { code: 'INTERNAL', message: messageOf('INTERNAL', {}) } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(statusOf('ROUTE_NOT_FOUND')).send({ error: { code: 'ROUTE_NOT_FOUND', message: messageOf('ROUTE_NOT_FOUND', { method: request.method, path: request.url.split('?')[0]! }) } }),
  );

  app.decorate('openApiDocument', buildOpenApiDocument(routes));
  installObservability(app, options.observability ?? defaultObservability(options.services), routes);

  for (const route of routes) {
    const declare = (scope: FastifyInstance) => scope.route({
      method: route.method,
      url: route.url,
      // Authorization runs on request arrival, before the body is read or validated.
      onRequest: async (request, reply) => {
        request.actor = await authorizeRequest(options.services, route, request, reply);
      },
      handler: async (request, reply) => {
        rejectNulCharacters(request.body, request.query, request.params);
        const input = {
          body: route.body ? route.body.parse(request.body ?? {}) : undefined,
          query: route.query ? route.query.parse(request.query ?? {}) : undefined,
          params: route.params ? route.params.parse(request.params ?? {}) : undefined,
          services: options.services,
          request,
          reply,
          get actor() {
            if (!request.actor) throw new Error(`${route.method} ${route.url} is public and has no actor`);
            return request.actor;
          },
        };
        const result = await route.handler(input);
        if (options.checkResponses && route.response) checkResponse(route, result);
        reply.status(route.status ?? 200);
        if (route.status === 204) return reply.send();
        return result;
      },
    });
    if (!route.streamsBody) {
      declare(app);
      continue;
    }
    // A file of any size: the handler reads the request itself, as it arrives (content-type
    // parsers are scoped to a plugin, so only this route's text/csv goes unread).
    void app.register(async (scope) => {
      scope.removeContentTypeParser('text/csv');
      scope.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
      declare(scope);
    });
  }
  return app;
}

/** The answer as the client will read it (JSON), against the route's declared schema. */
function checkResponse(route: AnyRoute, result: unknown): void {
  const sent: unknown = result === undefined ? undefined : JSON.parse(JSON.stringify(result));
  const checked = route.response!.safeParse(sent);
  if (checked.success) return;
  const problems = z.prettifyError(checked.error);
  // Loud in a test's output even when the test only looks at the status.
  console.error(`${route.method} ${route.url} answered outside its response schema:\n${problems}`);
  throw fail('RESPONSE_SCHEMA_MISMATCH', { route: `${route.method} ${route.url}`, problems });
}

/**
 * PostgreSQL text can't hold U+0000 while SQLite can: refuse it in any string of the input,
 * on every engine, before it reaches a query. Walks without recursion, so deep JSON can't overflow the stack.
 */
function rejectNulCharacters(...inputs: unknown[]): void {
  const pending = [...inputs];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw fail('NUL_CHARACTER');
    } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !(value instanceof Readable)) {
      for (const [key, member] of Object.entries(value)) pending.push(key, member);
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    actor?: import('../domain/context.ts').Actor;
  }
  interface FastifyInstance {
    cookieSecure: boolean;
    openApiDocument: ReturnType<typeof buildOpenApiDocument>;
  }
}

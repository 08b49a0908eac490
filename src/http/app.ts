import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { isPermission } from '../domain/permissions.ts';
import type { Services } from '../domain/services.ts';
import { authorizeRequest } from './authenticate.ts';
import { isUniqueViolation, toErrorResponse } from './errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { AnyRoute } from './route.ts';
import { apiRoutes } from './routes/index.ts';

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
  /** Replaces the route table (tests use it to prove an undeclared route stops the server). */
  routes?: readonly AnyRoute[];
}

/** Builds the HTTP application; `listen` is the caller's business (src/http/server.ts, tests, benchmarks). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const routes = options.routes ?? apiRoutes;
  checkRouteDeclarations(routes);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024 });
  await app.register(cookie);
  // Avatars arrive as raw image bytes; their type is decided from the bytes, not from this header.
  app.addContentTypeParser(['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) =>
    done(null, body),
  );
  app.decorate('cookieSecure', options.cookieSecure ?? false);

  app.setErrorHandler((error, request, reply) => {
    const mapped = toErrorResponse(error);
    if (mapped) return reply.status(mapped.status).send(mapped.body);
    if (isUniqueViolation(error)) {
      return reply.status(409).send({ error: { code: 'CONFLICT', message: 'That conflicts with a change made at the same moment; reload and try again.' } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on the server; the error was logged.' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.` } }),
  );

  app.decorate('openApiDocument', buildOpenApiDocument(routes));

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      // Authorization runs on request arrival, before the body is read or validated.
      onRequest: async (request) => {
        request.actor = await authorizeRequest(options.services, route, request);
      },
      handler: async (request, reply) => {
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
        reply.status(route.status ?? 200);
        if (route.status === 204) return reply.send();
        return result;
      },
    });
  }
  return app;
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

import { permissionGroups } from '../../domain/permissions.ts';
import { defineRoute } from '../route.ts';
import { permissionCatalogue } from '../schemas/roles.ts';
import { health, openApiDocument, readiness } from '../schemas/system.ts';

export const systemRoutes = [
  defineRoute({
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness and database reachability',
    tag: 'system',
    access: 'public',
    response: health,
    async handler({ services }) {
      await services.tenants.ping();
      return { status: 'ok' as const };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: the database answers and has every migration this server needs; 503 with the reason otherwise',
    tag: 'system',
    access: 'public',
    response: readiness,
    async handler({ request }) {
      return request.server.observability.readiness();
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/metrics',
    summary: "This server's metrics in the Prometheus text format (docs/operations.md)",
    tag: 'system',
    access: { permission: 'ViewSystemHealth' },
    responseContentType: 'text/plain; version=0.0.4',
    async handler({ actor, services, request, reply }) {
      // Re-checked here as every command re-checks its permission: the route's declaration alone is one check.
      await services.access.require(actor, 'ViewSystemHealth', actor.tenantId);
      const { metrics } = request.server.observability;
      reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
      return metrics.render();
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'system',
    access: 'public',
    response: openApiDocument,
    async handler({ request }) {
      return request.server.openApiDocument;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/permissions',
    summary: 'The permission catalogue, grouped as in the RBAC documentation',
    tag: 'roles',
    access: 'authenticated',
    response: permissionCatalogue,
    async handler() {
      return {
        groups: Object.entries(permissionGroups).map(([group, members]) => ({
          group,
          permissions: Object.entries(members).map(([name, description]) => ({ name, description })),
        })),
      };
    },
  }),
];

import { permissionGroups } from '../../domain/permissions.ts';
import { defineRoute } from '../route.ts';

export const systemRoutes = [
  defineRoute({
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness and database reachability',
    tag: 'system',
    access: 'public',
    async handler({ services }) {
      await services.context.store.tenants.getBySlug('default');
      return { status: 'ok' };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'system',
    access: 'public',
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

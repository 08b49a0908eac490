import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams } from './schemas.ts';
import { role, roleList } from '../schemas/roles.ts';

const permissions = z.array(z.string().max(100)).max(200);

export const roleRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/roles',
    summary: 'Roles usable in the tenant: built-in, global and the tenant\'s own',
    tag: 'roles',
    access: { permission: 'ViewUsers' },
    response: roleList,
    async handler({ actor, services }) {
      return { items: await services.roles.list(actor) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/roles/:id',
    summary: 'One role',
    tag: 'roles',
    access: { permission: 'ViewUsers' },
    params: idParams,
    response: role,
    async handler({ actor, params, services }) {
      return services.roles.get(actor, params.id);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/roles',
    summary: 'Create a custom role, global or scoped to the tenant',
    tag: 'roles',
    access: { permission: 'ManageRoles' },
    status: 201,
    body: z.object({
      name: z.string().max(100),
      description: z.string().max(1000).optional(),
      permissions,
      scope: z.enum(['global', 'tenant']).default('tenant'),
    }),
    response: role,
    async handler({ actor, body, services }) {
      return services.roles.create(actor, body);
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/roles/:id',
    summary: 'Edit a custom role (built-in roles are fixed)',
    tag: 'roles',
    access: { permission: 'ManageRoles' },
    params: idParams,
    body: z.object({ name: z.string().max(100).optional(), description: z.string().max(1000).optional(), permissions: permissions.optional() }),
    response: role,
    async handler({ actor, params, body, services }) {
      return services.roles.update(actor, params.id, body);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/roles/:id',
    summary: 'Delete a custom role no one holds',
    tag: 'roles',
    access: { permission: 'ManageRoles' },
    status: 204,
    params: idParams,
    async handler({ actor, params, services }) {
      await services.roles.delete(actor, params.id);
    },
  }),
];

import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { pageQuery, tenantParams } from './schemas.ts';
import { tenant, tenantList, tenantMemberRole, tenantMembers } from '../schemas/tenants.ts';

export const tenantRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/tenants',
    summary: 'Tenants you belong to (every tenant with ManageTenants)',
    tag: 'tenants',
    access: 'authenticated',
    response: tenantList,
    async handler({ actor, services }) {
      return { items: await services.tenants.list(actor) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/tenants',
    summary: 'Create a tenant; you become its Admin',
    tag: 'tenants',
    access: { permission: 'ManageTenants' },
    status: 201,
    body: z.object({ slug: z.string().max(63), name: z.string().max(200) }),
    response: tenant,
    async handler({ actor, body, services }) {
      return services.tenants.create(actor, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/tenants/:tenant',
    summary: 'One tenant, by slug or id',
    tag: 'tenants',
    access: 'authenticated',
    params: tenantParams,
    response: tenant,
    async handler({ actor, params, services }) {
      return services.tenants.getVisible(actor, params.tenant);
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/tenants/:tenant',
    summary: 'Rename a tenant',
    tag: 'tenants',
    access: { permission: 'ManageTenants' },
    params: tenantParams,
    body: z.object({ name: z.string().max(200) }),
    response: tenant,
    async handler({ actor, params, body, services }) {
      return services.tenants.update(actor, params.tenant, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/tenants/:tenant/members',
    summary: "A tenant's members with their roles (ViewUsers there, or ManageTenants), paginated by cursor, and the roles that can be given there",
    tag: 'tenants',
    access: { permission: 'ViewUsers' },
    params: tenantParams,
    query: pageQuery,
    response: tenantMembers,
    async handler({ actor, params, query, services }) {
      return services.tenants.listMembers(actor, params.tenant, query);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/tenants/:tenant/members/:user',
    summary: "Set anyone's role in any tenant, as the installation (the way back into a tenant); with until or duration, a time-bound role over a member's permanent one",
    tag: 'tenants',
    access: { permission: 'ManageTenants' },
    params: z.object({ tenant: z.string().min(1).max(100), user: z.string().min(1).max(254) }),
    body: z.object({ role: z.string().min(1).max(100), until: z.string().min(1).max(40).optional(), duration: z.string().min(1).max(10).optional() }),
    response: tenantMemberRole,
    async handler({ actor, params, body, services }) {
      const term = body.until === undefined && body.duration === undefined ? undefined : { until: body.until, duration: body.duration };
      return services.tenants.setMemberRole(actor, params.tenant, params.user, body.role, term);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/tenants/:tenant',
    summary: 'Delete an empty tenant',
    tag: 'tenants',
    access: { permission: 'ManageTenants' },
    status: 204,
    params: tenantParams,
    async handler({ actor, params, services }) {
      await services.tenants.delete(actor, params.tenant);
    },
  }),
];

import { z } from 'zod';
import { ACCESS_REQUEST_STATUSES } from '../../domain/access/access-request.ts';
import { defineRoute } from '../route.ts';
import { idParams, pageQuery } from './schemas.ts';
import { accessRequest, accessRequestListPage, accessRequestPage } from '../schemas/access-requests.ts';

const reason = z.string().trim().min(1).max(1000);
const duration = z.string().min(1).max(10);

/**
 * Access requests (issue 9, part 2): a member asks for a time-bound role; holders of AssignRoles
 * in the request's tenant who may grant that role approve or deny it (guards.ts, rule 7). The
 * approvers' routes act in the tenant of X-Sophon-Tenant, as everywhere: another tenant's request
 * is "not found". Shapes in docs/api.md.
 */
export const accessRequestRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/access-requests',
    summary: 'Ask for a role in a tenant (default: the one the request acts in, where you are a member) for a duration, with a reason; eligible approvers are mailed',
    tag: 'me',
    access: 'authenticated',
    status: 201,
    body: z.object({ role: z.string().min(1).max(100), tenant: z.string().min(1).max(100).optional(), duration, reason }),
    response: accessRequest,
    async handler({ actor, body, services }) {
      return services.accessRequests.request(actor, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/me/access-requests',
    summary: 'Your access requests in every tenant, newest first',
    tag: 'me',
    access: 'authenticated',
    query: pageQuery,
    response: accessRequestPage,
    async handler({ actor, query, services }) {
      return services.accessRequests.listMine(actor, query);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-requests',
    summary: "The access requests of the request's tenant, newest first (?status=pending|approved|denied), each with whether you may approve it",
    tag: 'governance',
    access: { permission: 'AssignRoles' },
    query: pageQuery.extend({ status: z.enum(ACCESS_REQUEST_STATUSES).optional() }),
    response: accessRequestListPage,
    async handler({ actor, query, services }) {
      return services.accessRequests.list(actor, query);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-requests/:id',
    summary: "One access request of the request's tenant",
    tag: 'governance',
    access: { permission: 'AssignRoles' },
    params: idParams,
    response: accessRequest,
    async handler({ actor, params, services }) {
      return services.accessRequests.get(actor, params.id);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/access-requests/:id/approve',
    summary:
      "Approve a pending request of the request's tenant: the requester gets the role from now for the duration asked (or a shorter duration given), at most Sophon:Rbac:MaxElevation, through the guarded time-bound assignment; not your own",
    tag: 'governance',
    access: { permission: 'AssignRoles' },
    params: idParams,
    body: z.object({ duration: duration.optional(), reason: z.string().trim().max(1000).optional() }).optional(),
    response: accessRequest,
    async handler({ actor, params, body, services }) {
      return services.accessRequests.approve(actor, params.id, body ?? {});
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/access-requests/:id/deny',
    summary: "Deny a pending request of the request's tenant, with a reason; not your own",
    tag: 'governance',
    access: { permission: 'AssignRoles' },
    params: idParams,
    body: z.object({ reason: z.string().trim().max(1000).optional() }).optional(),
    response: accessRequest,
    async handler({ actor, params, body, services }) {
      return services.accessRequests.deny(actor, params.id, body ?? {});
    },
  }),
];

import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams } from './schemas.ts';

/** Governance (issue 9): explain access, access review. */
export const governanceRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/explain',
    summary:
      'Why the user holds a permission in the tenant or not: the granting assignment (tenant, role, since when, by whom, its audit event), else the reasons and the roles that would grant it with who may assign each; without ?permission, every permission',
    tag: 'users',
    access: { permission: 'ViewUsers' },
    params: idParams,
    query: z.object({ permission: z.string().min(1).max(100).optional() }),
    async handler({ actor, params, query, services }) {
      return services.explain.explain(actor, params.id, query.permission);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-review',
    summary:
      'Access review of the tenant: users not signed in for the stale period or never, suspended Admins, Admins without 2FA, API tokens unused, never used or without expiry, custom roles nobody holds, orphaned data; ?tenant= for installation admins',
    tag: 'governance',
    // Reviewing access is reading its trail; the domain also requires ViewUsers (the report names users).
    access: { permission: 'ViewAuditLogs' },
    query: z.object({ tenant: z.string().min(1).max(100).optional(), stale: z.string().min(1).max(20).optional() }),
    async handler({ actor, query, services }) {
      return services.accessReview.report(actor, query);
    },
  }),
];

import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { pageQuery } from './schemas.ts';

const isoTime = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString());

export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/audit',
    summary: "The tenant's audit trail, newest first, filtered by user, category and time",
    tag: 'audit',
    access: { permission: 'ViewAuditLogs' },
    query: pageQuery.extend({
      user: z.string().max(100).optional(),
      category: z.enum(['auth', 'authz', 'rbac', 'users', 'tenants', 'tokens', 'sessions', 'resources', 'system']).optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
    }),
    async handler({ actor, query, services }) {
      return services.audit.list(actor, query);
    },
  }),
];

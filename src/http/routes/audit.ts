import { z } from 'zod';
import { AUDIT_CATEGORIES } from '../../domain/audit/audit-event.ts';
import { defineRoute } from '../route.ts';
import { pageQuery } from './schemas.ts';
import { auditPage } from '../schemas/audit.ts';

const isoTime = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString());

/** The filters of the audit trail, shared by its list and its export. */
export const auditFilters = z.object({
  user: z.string().max(100).optional(),
  category: z.enum(AUDIT_CATEGORIES).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /** `all`: every tenant where you may read the trail (all of them with ManageTenants in default); the request's tenant otherwise. */
  scope: z.enum(['tenant', 'all']).optional(),
});

export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/audit',
    summary: "The tenant's audit trail, newest first, filtered by user, category and time, each event with its tenant's slug and the names behind its ids; scope=all: every tenant where you hold ViewAuditLogs (all of them for installation admins)",
    tag: 'audit',
    access: { permission: 'ViewAuditLogs' },
    query: pageQuery.extend(auditFilters.shape),
    response: auditPage,
    async handler({ actor, query, services }) {
      return services.audit.list(actor, query);
    },
  }),
];

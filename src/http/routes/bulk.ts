import { z } from 'zod';
import { isUniqueViolation } from '../errors.ts';
import { defineRoute } from '../route.ts';
import { auditFilters } from './audit.ts';

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const csvBody = z.string({ error: 'Send the CSV file as the request body, with Content-Type: text/csv.' }).min(1, 'The CSV file is empty.');

/** The tenant-qualified name an exported file gets, so files from several tenants don't overwrite each other. */
const attachment = (name: string) => `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`;

/** Bulk operations: the seed's CSV import and export of users, and the audit trail's export (ExportAuditLogs). */
export const bulkRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/import',
    summary:
      'Create users from CSV (columns email,displayName,role,tenant,password; at most 1000 rows). Rows failing a check are rejected with their reason; missing passwords send invitations (or return one-time passwords without SMTP).',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    requestContentType: 'text/csv',
    body: csvBody,
    query: z.object({ dryRun: flag.optional(), allOrNothing: flag.optional() }),
    async handler({ actor, body, query, services }) {
      // Always 200: the report says row by row what happened, and `applied` whether anything was written.
      for (let attempt = 1; ; attempt++) {
        try {
          return await services.userCsv.importCsv(actor, body, query);
        } catch (error) {
          // Another import (or create) took one of these emails between the check and the insert,
          // and the whole transaction rolled back: run it again, and that row is reported as taken.
          if (attempt < 3 && isUniqueViolation(error)) continue;
          throw error;
        }
      }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/export',
    summary: "The tenant's users as CSV: email,displayName,role,tenant,status,lastLoginAt,createdAt,homeTenant,id (allTenants=true: every tenant where you hold ViewUsers)",
    tag: 'users',
    access: { permission: 'ViewUsers' },
    query: z.object({ allTenants: flag.optional() }),
    async handler({ actor, query, services, reply }) {
      const { csv } = await services.userCsv.exportCsv(actor, query);
      const tenant = await services.context.store.tenants.getById(actor.tenantId);
      reply.headers({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': attachment(`users-${query.allTenants ? 'all-tenants' : (tenant?.slug ?? 'tenant')}.csv`) });
      return csv;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/audit/export',
    summary: "The tenant's audit trail, oldest first, as CSV or JSON, with the filters of GET /audit (at most 100,000 events)",
    tag: 'audit',
    access: { permission: 'ExportAuditLogs' },
    query: auditFilters.extend({ format: z.enum(['csv', 'json']).default('csv') }),
    async handler({ actor, query, services, reply }) {
      const { format, ...filters } = query;
      const { body } = await services.audit.export(actor, filters, format);
      reply.headers({
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'content-disposition': attachment(`audit${filters.category ? `-${filters.category}` : ''}.${format}`),
      });
      return body;
    },
  }),
];

import { Readable } from 'node:stream';
import { z } from 'zod';
import { isUniqueViolation } from '../errors.ts';
import { BYTE_ORDER_MARK, EXPORT_FORMATS, exportContentType, exportFormatOfAccept } from '../../domain/export-format.ts';
import { defineRoute } from '../route.ts';
import { streamedBody } from '../streaming.ts';
import { auditFilters } from './audit.ts';
import { importJob, importReport } from '../schemas/imports.ts';

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
// The file's bytes, decoded by the import itself: UTF-8, or the charset the Content-Type names.
const csvBody = z
  .custom<Buffer>((value) => Buffer.isBuffer(value), 'Send the CSV file as the request body, with Content-Type: text/csv.')
  .refine((bytes) => bytes.length > 0, 'The CSV file is empty.');
const charsetOf = (contentType: string | undefined) => /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];

/** The tenant-qualified name an exported file gets, so files from several tenants don't overwrite each other. */
const attachment = (name: string) => `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`;

/** Bulk operations: the seed's CSV import and export of users, and the audit trail's export (ExportAuditLogs). */
export const bulkRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/import',
    summary:
      'Create users from CSV (columns email,displayName,role,tenant,password; at most 1000 rows; separated by commas, or by semicolons when the header is). UTF-8 unless the Content-Type names another charset (text/csv; charset=windows-1252 for Excel\'s plain "CSV"). Rows failing a check are rejected with their reason; missing passwords send invitations (or return one-time passwords without SMTP).',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    requestContentType: 'text/csv',
    body: csvBody,
    query: z.object({ dryRun: flag.optional(), allOrNothing: flag.optional() }),
    response: importReport,
    async handler({ actor, body, query, services, request }) {
      const encoding = charsetOf(request.headers['content-type']);
      // Always 200: the report says row by row what happened, and `applied` whether anything was written.
      for (let attempt = 1; ; attempt++) {
        try {
          return await services.userCsv.importCsv(actor, body, { ...query, encoding });
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
    method: 'POST',
    url: '/api/v1/users/imports',
    summary:
      'Start a CSV import of any size as a job (columns email,displayName,role,tenant,password, as POST /users/import takes them; no row limit). The file is read as it arrives and stored row by row; the answer (202) comes once it is in, with the job id: follow it with GET /users/imports/{id}. Rows are created in batches in the background and the job survives a restart (it goes on where it stopped; no row is created twice). Password-less rows get an invitation (SMTP) or a one-time password shown once in the job\'s rows.',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    requestContentType: 'text/csv',
    streamsBody: true,
    status: 202,
    body: z.custom<Readable>((value) => value instanceof Readable, 'Send the CSV file as the request body, with Content-Type: text/csv.'),
    query: z.object({ dryRun: flag.optional(), allOrNothing: flag.optional() }),
    response: importJob,
    async handler({ actor, body, query, services, request }) {
      return services.importJobs.start(actor, body, { ...query, encoding: charsetOf(request.headers['content-type']) });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/imports/:id',
    summary:
      "An import job's progress: status (receiving, queued, running, done, failed), phase, counts (total, done, created, valid, failed, pending), passwords hashed, times; with rows=true, also a page of its rows as GET /users/imports/{id}/rows gives them",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: z.object({ id: z.string().max(100) }),
    query: z.object({ rows: flag.optional(), afterLine: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
    response: importJob,
    async handler({ actor, params, query, services }) {
      return services.importJobs.get(actor, params.id, query.rows ? { afterLine: query.afterLine, limit: query.limit } : undefined);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/imports/:id/rows',
    summary:
      "An import job's rows in line order, a page at a time (afterLine: the previous page's nextAfterLine; limit up to 1000): each row's status (pending, valid, created, rejected), reason, user, and how the first credential reaches them. A one-time password is shown once, to the admin who started the job.",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: z.object({ id: z.string().max(100) }),
    query: z.object({ afterLine: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
    response: importJob,
    async handler({ actor, params, query, services }) {
      return services.importJobs.get(actor, params.id, { afterLine: query.afterLine, limit: query.limit });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/export',
    summary:
      "The tenant's users, streamed as they are read: email,displayName,role,tenant,status,lastLoginAt,createdAt,homeTenant,id as CSV (the default), one JSON document (format=json) or JSON Lines (format=jsonl, or Accept: application/jsonl); allTenants=true: every tenant where you hold ViewUsers; bom=true: CSV with a UTF-8 byte-order mark first, for Excel",
    tag: 'users',
    access: { permission: 'ViewUsers' },
    query: z
      .object({ allTenants: flag.optional(), format: z.enum(EXPORT_FORMATS).optional(), bom: flag.optional() })
      .refine((query) => !(query.bom && query.format && query.format !== 'csv'), { path: ['bom'], message: 'A byte-order mark is for CSV files; JSON goes without one.' }),
    // CSV by default; JSON (format=json) or JSON Lines (format=jsonl) as asked.
    responseContentType: 'text/csv',
    async handler({ actor, query, services, reply, request }) {
      const format = query.format ?? exportFormatOfAccept(request.headers.accept) ?? 'csv';
      const chunks = await services.userCsv.export(actor, { allTenants: query.allTenants, format });
      const tenant = await services.tenants.getVisible(actor, actor.tenantId);
      const body = await streamedBody(chunks, query.bom && format === 'csv' ? BYTE_ORDER_MARK : '');
      reply.headers({ 'content-type': exportContentType[format], 'content-disposition': attachment(`users-${query.allTenants ? 'all-tenants' : tenant.slug}.${format}`) });
      return body;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/audit/export',
    summary:
      "The tenant's audit trail, oldest first, streamed as it is read (any length), with the filters of GET /audit: CSV (the default), one JSON document (format=json) or JSON Lines (format=jsonl, or Accept: application/jsonl); bom=true: CSV with a UTF-8 byte-order mark first, for Excel",
    tag: 'audit',
    access: { permission: 'ExportAuditLogs' },
    query: auditFilters
      .extend({ format: z.enum(EXPORT_FORMATS).optional(), bom: flag.optional() })
      .refine((query) => !(query.bom && query.format && query.format !== 'csv'), { path: ['bom'], message: 'A byte-order mark is for CSV files; JSON goes without one.' }),
    // CSV by default; JSON (format=json) or JSON Lines (format=jsonl) as asked.
    responseContentType: 'text/csv',
    async handler({ actor, query, services, reply, request }) {
      const { format: asked, bom, ...filters } = query;
      const format = asked ?? exportFormatOfAccept(request.headers.accept) ?? 'csv';
      const body = await streamedBody(await services.audit.export(actor, filters, format), bom && format === 'csv' ? BYTE_ORDER_MARK : '');
      reply.headers({
        'content-type': exportContentType[format],
        'content-disposition': attachment(`audit${filters.category ? `-${filters.category}` : ''}.${format}`),
      });
      return body;
    },
  }),
];

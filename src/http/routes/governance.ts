import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams, pageQuery } from './schemas.ts';
import { accessExplanation, accessReviewReport, recordedReview, reviewSummaryPage } from '../schemas/governance.ts';

const decisionInput = z.object({
  kind: z.string().min(1).max(100),
  subjectId: z.string().min(1).max(100),
  decision: z.enum(['keep', 'suspend', 'revoke_token', 'remove_role']),
});

/** Governance (issue 9): explain access, access review and its records. */
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
    response: accessExplanation,
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
    response: accessReviewReport,
    async handler({ actor, query, services }) {
      return services.accessReview.report(actor, query);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/access-reviews',
    summary:
      "Record an access review of the request's tenant: the report taken now, a decision on each finding (keep unless given: suspend, revoke_token, remove_role), carried out through the ordinary guarded commands; refusals are recorded with their code",
    tag: 'governance',
    access: { permission: 'ViewAuditLogs' },
    status: 201,
    body: z.object({ stale: z.string().min(1).max(20).optional(), note: z.string().max(2000).optional(), decisions: z.array(decisionInput).max(10_000).optional() }),
    response: recordedReview,
    async handler({ actor, body, services }) {
      return services.accessReview.record(actor, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-reviews',
    summary: "Past access reviews of the request's tenant, newest first, with their counts",
    tag: 'governance',
    access: { permission: 'ViewAuditLogs' },
    query: pageQuery,
    response: reviewSummaryPage,
    async handler({ actor, query, services }) {
      return services.accessReview.list(actor, query);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-reviews/export',
    summary: "Every decision of the tenant's access reviews as CSV, one row per finding, oldest review first (the export is audited)",
    tag: 'governance',
    access: { permission: 'ExportAuditLogs' },
    responseContentType: 'text/csv',
    async handler({ actor, services, reply }) {
      const { csv, tenant } = await services.accessReview.exportCsv(actor);
      reply.headers({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="access-reviews-${tenant.replace(/[^\w.-]/g, '_')}.csv"` });
      return csv;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/access-reviews/:id',
    summary: 'One past access review with every finding, its decision and outcome',
    tag: 'governance',
    access: { permission: 'ViewAuditLogs' },
    params: idParams,
    response: recordedReview,
    async handler({ actor, params, services }) {
      return services.accessReview.get(actor, params.id);
    },
  }),
];

import type { Kysely } from 'kysely';
import type { AccessRequest, AccessRequestStatus } from '../../domain/access/access-request.ts';
import type { AccessRequestStore } from '../../domain/access/access-request-store.ts';
import type { Database } from '../schema.ts';

const toRequest = (row: Database['access_requests'] & { tenant_slug: string }): AccessRequest => ({
  id: row.id,
  tenantId: row.tenant_id,
  tenantSlug: row.tenant_slug,
  userId: row.user_id,
  userEmail: row.user_email,
  roleId: row.role_id,
  roleName: row.role_name,
  durationSeconds: Number(row.duration_seconds),
  reason: row.reason,
  status: row.status as AccessRequestStatus,
  createdAt: row.created_at,
  decidedAt: row.decided_at,
  decidedBy: row.decided_by,
  decidedByEmail: row.decided_by_email,
  decisionReason: row.decision_reason,
  endsAt: row.ends_at,
});

export function sqlAccessRequestStore(db: Kysely<Database>): AccessRequestStore {
  // Each request with its tenant's slug, in the same statement.
  const requests = () => db.selectFrom('access_requests').innerJoin('tenants', 'tenants.id', 'access_requests.tenant_id').selectAll('access_requests').select('tenants.slug as tenant_slug');
  return {
    async create(request) {
      await db
        .insertInto('access_requests')
        .values({
          id: request.id,
          tenant_id: request.tenantId,
          user_id: request.userId,
          user_email: request.userEmail,
          role_id: request.roleId,
          role_name: request.roleName,
          duration_seconds: request.durationSeconds,
          reason: request.reason,
          status: request.status,
          created_at: request.createdAt,
          decided_at: request.decidedAt,
          decided_by: request.decidedBy,
          decided_by_email: request.decidedByEmail,
          decision_reason: request.decisionReason,
          ends_at: request.endsAt,
        })
        .execute();
    },
    async get(tenantId, requestId) {
      const row = await requests().where('access_requests.tenant_id', '=', tenantId).where('access_requests.id', '=', requestId).executeTakeFirst();
      return row && toRequest(row);
    },
    async listForTenant(tenantId, { status, before, limit }) {
      let query = requests().where('access_requests.tenant_id', '=', tenantId);
      if (status) query = query.where('access_requests.status', '=', status);
      if (before) query = query.where('access_requests.id', '<', before);
      return (await query.orderBy('access_requests.id', 'desc').limit(limit).execute()).map(toRequest);
    },
    async listForUser(userId, { before, limit }) {
      let query = requests().where('access_requests.user_id', '=', userId);
      if (before) query = query.where('access_requests.id', '<', before);
      return (await query.orderBy('access_requests.id', 'desc').limit(limit).execute()).map(toRequest);
    },
    async decide(tenantId, requestId, decision) {
      const result = await db
        .updateTable('access_requests')
        .set({
          status: decision.status,
          decided_at: decision.decidedAt,
          decided_by: decision.decidedBy,
          decided_by_email: decision.decidedByEmail,
          decision_reason: decision.decisionReason,
          ends_at: decision.endsAt,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', requestId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

import type { Kysely } from 'kysely';
import type { AuthPolicyRecord } from '../../domain/sessions/authentication-policy.ts';
import type { AuthPolicyStore } from '../../domain/sessions/auth-policy-store.ts';
import type { Database } from '../schema.ts';

export const toPolicyRecord = (row: Database['auth_policies']): AuthPolicyRecord => ({
  scopeId: row.scope_id,
  requireTwoFactor: row.require_two_factor === null ? null : Number(row.require_two_factor) === 1,
  idleTimeoutSeconds: row.idle_timeout_seconds === null ? null : Number(row.idle_timeout_seconds),
  absoluteTimeoutSeconds: row.absolute_timeout_seconds === null ? null : Number(row.absolute_timeout_seconds),
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});

export function sqlAuthPolicyStore(db: Kysely<Database>): AuthPolicyStore {
  return {
    async list(scopeIds) {
      if (scopeIds.length === 0) return [];
      return (await db.selectFrom('auth_policies').selectAll().where('scope_id', 'in', scopeIds).execute()).map(toPolicyRecord);
    },
    async set(record) {
      const values = {
        require_two_factor: record.requireTwoFactor === null ? null : record.requireTwoFactor ? 1 : 0,
        idle_timeout_seconds: record.idleTimeoutSeconds,
        absolute_timeout_seconds: record.absoluteTimeoutSeconds,
        updated_at: record.updatedAt,
        updated_by: record.updatedBy,
      };
      await db
        .insertInto('auth_policies')
        .values({ scope_id: record.scopeId, ...values })
        .onConflict((conflict) => conflict.column('scope_id').doUpdateSet(values))
        .execute();
    },
    async delete(scopeId) {
      await db.deleteFrom('auth_policies').where('scope_id', '=', scopeId).execute();
    },
  };
}

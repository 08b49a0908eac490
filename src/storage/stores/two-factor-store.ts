import type { Kysely } from 'kysely';
import type { TwoFactorRecord, TwoFactorStatus } from '../../domain/two-factor/two-factor.ts';
import type { TwoFactorStore } from '../../domain/two-factor/two-factor-store.ts';
import type { Database } from '../schema.ts';

const toRecord = (row: Database['two_factor']): TwoFactorRecord => ({
  userId: row.user_id,
  status: row.status as TwoFactorStatus,
  secretCiphertext: row.secret_ciphertext,
  secretKeyId: row.secret_key_id,
  createdAt: row.created_at,
  enabledAt: row.enabled_at,
  lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
});

export function sqlTwoFactorStore(db: Kysely<Database>): TwoFactorStore {
  return {
    async get(userId) {
      const row = await db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row && toRecord(row);
    },
    async getState(userId) {
      const row = await db
        .selectFrom('users')
        .leftJoin('two_factor', 'two_factor.user_id', 'users.id')
        .select([
          'users.two_factor_reenrolment_required_at as reenrolment_required_at',
          'two_factor.user_id',
          'two_factor.status',
          'two_factor.secret_ciphertext',
          'two_factor.secret_key_id',
          'two_factor.created_at',
          'two_factor.enabled_at',
          'two_factor.last_used_step',
        ])
        .where('users.id', '=', userId)
        .executeTakeFirst();
      if (!row) return { record: undefined, reenrolmentRequiredAt: null };
      const { reenrolment_required_at, user_id, status, secret_ciphertext, secret_key_id, created_at } = row;
      const record =
        user_id !== null && status !== null && secret_ciphertext !== null && secret_key_id !== null && created_at !== null
          ? toRecord({ user_id, status, secret_ciphertext, secret_key_id, created_at, enabled_at: row.enabled_at, last_used_step: row.last_used_step })
          : undefined;
      return { record, reenrolmentRequiredAt: reenrolment_required_at };
    },
    async setReenrolmentRequired(userId, at) {
      await db.updateTable('users').set({ two_factor_reenrolment_required_at: at }).where('id', '=', userId).execute();
    },
    async savePending(record) {
      await db.deleteFrom('two_factor').where('user_id', '=', record.userId).where('status', '=', 'pending').execute();
      const result = await db
        .insertInto('two_factor')
        .values({
          user_id: record.userId,
          status: 'pending',
          secret_ciphertext: record.secretCiphertext,
          secret_key_id: record.secretKeyId,
          created_at: record.createdAt,
          enabled_at: null,
          last_used_step: null,
        })
        .onConflict((conflict) => conflict.column('user_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async enable(userId, enabledAt, lastUsedStep) {
      const result = await db
        .updateTable('two_factor')
        .set({ status: 'enabled', enabled_at: enabledAt, last_used_step: lastUsedStep })
        .where('user_id', '=', userId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async acceptStep(userId, step) {
      const result = await db
        .updateTable('two_factor')
        .set({ last_used_step: step })
        .where('user_id', '=', userId)
        .where('status', '=', 'enabled')
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async delete(userId) {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      const result = await db.deleteFrom('two_factor').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async countByKey() {
      const rows = await db.selectFrom('two_factor').select(['secret_key_id', (eb) => eb.fn.countAll<string | number>().as('count')]).groupBy('secret_key_id').execute();
      return new Map(rows.map((row) => [row.secret_key_id, Number(row.count)]));
    },
    async replaceRecoveryCodes(userId, codes) {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codes.length === 0) return;
      await db
        .insertInto('recovery_codes')
        .values(codes.map((code) => ({ id: code.id, user_id: code.userId, code_hash: code.codeHash, created_at: code.createdAt, used_at: code.usedAt })))
        .execute();
    },
    async consumeRecoveryCode(userId, codeHash, usedAt) {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: usedAt })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) >= 1;
    },
    async countUnusedRecoveryCodes(userId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<string | number>().as('count'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}

import type { Kysely } from 'kysely';
import type { ThrottleRecord } from '../../domain/login-throttle/login-throttle.ts';
import type { LoginThrottleStore } from '../../domain/login-throttle/login-throttle-store.ts';
import type { Engine } from '../open-database.ts';
import type { Database } from '../schema.ts';

const toRecord = (row: Database['login_throttle']): ThrottleRecord => ({ key: row.key, failures: Number(row.failures), lastFailureAt: row.last_failure_at });

export function sqlLoginThrottleStore(db: Kysely<Database>, engine: Engine): LoginThrottleStore {
  return {
    async lock(keys) {
      if (keys.length === 0) return [];
      const sorted = [...new Set(keys)].sort();
      await db
        .insertInto('login_throttle')
        .values(sorted.map((key) => ({ key, failures: 0, last_failure_at: null })))
        .onConflict((conflict) => conflict.column('key').doNothing())
        .execute();
      // Rows are locked in key order, so two transactions never wait on each other in a cycle.
      let query = db.selectFrom('login_throttle').selectAll().where('key', 'in', sorted).orderBy('key');
      if (engine === 'postgres') query = query.forUpdate();
      return (await query.execute()).map(toRecord);
    },
    async get(keys) {
      if (keys.length === 0) return [];
      return (await db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute()).map(toRecord);
    },
    async save(record) {
      await db.updateTable('login_throttle').set({ failures: record.failures, last_failure_at: record.lastFailureAt }).where('key', '=', record.key).execute();
    },
    async delete(key) {
      await db.deleteFrom('login_throttle').where('key', '=', key).execute();
    },
    async prune(before, keepAtLeast) {
      const result = await db
        .deleteFrom('login_throttle')
        .where((eb) =>
          eb.or([
            eb('failures', '<=', 0),
            eb.and([eb('last_failure_at', '<', before), eb.or([eb('failures', '<', keepAtLeast), eb('key', 'not like', 'account:%')])]),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async countInFlight(keys, now) {
      if (keys.length === 0) return new Map();
      const rows = await db
        .selectFrom('login_attempts_in_flight')
        .select(['key', (eb) => eb.fn.countAll().as('attempts')])
        .where('key', 'in', keys)
        .where('expires_at', '>', now)
        .groupBy('key')
        .execute();
      return new Map(rows.map((row) => [row.key, Number(row.attempts)]));
    },
    async addInFlight(attemptId, keys, expiresAt) {
      if (keys.length === 0) return;
      await db
        .insertInto('login_attempts_in_flight')
        .values([...new Set(keys)].map((key) => ({ attempt_id: attemptId, key, expires_at: expiresAt })))
        .execute();
    },
    async removeInFlight(attemptId) {
      await db.deleteFrom('login_attempts_in_flight').where('attempt_id', '=', attemptId).execute();
    },
    async pruneInFlight(now) {
      const result = await db.deleteFrom('login_attempts_in_flight').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

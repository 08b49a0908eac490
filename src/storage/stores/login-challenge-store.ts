import { sql, type Kysely } from 'kysely';
import type { LoginChallenge } from '../../domain/sessions/login-challenge.ts';
import type { LoginChallengeStore } from '../../domain/sessions/login-challenge-store.ts';
import type { Database } from '../schema.ts';

const toChallenge = (row: Database['login_challenges']): LoginChallenge => ({
  id: row.id,
  userId: row.user_id,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  consumedAt: row.consumed_at,
  failedAttempts: Number(row.failed_attempts),
});

export function sqlLoginChallengeStore(db: Kysely<Database>): LoginChallengeStore {
  return {
    async create(challenge) {
      await db
        .insertInto('login_challenges')
        .values({
          id: challenge.id,
          user_id: challenge.userId,
          token_hash: challenge.tokenHash,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
          consumed_at: null,
          failed_attempts: 0,
        })
        .execute();
    },
    async getByTokenHash(tokenHash) {
      const row = await db.selectFrom('login_challenges').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toChallenge(row);
    },
    async consume(challengeId, at) {
      const result = await db.updateTable('login_challenges').set({ consumed_at: at }).where('id', '=', challengeId).where('consumed_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async recordFailure(challengeId) {
      const row = await db
        .updateTable('login_challenges')
        .set({ failed_attempts: sql<number>`failed_attempts + 1` })
        .where('id', '=', challengeId)
        .returning('failed_attempts')
        .executeTakeFirst();
      return Number(row?.failed_attempts ?? 0);
    },
    async deleteExpired(before) {
      const result = await db.deleteFrom('login_challenges').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

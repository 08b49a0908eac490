import type { Kysely } from 'kysely';
import type { OneTimeLink, OneTimeLinkPurpose } from '../../domain/users/one-time-link.ts';
import type { OneTimeLinkStore } from '../../domain/users/one-time-link-store.ts';
import type { Database } from '../schema.ts';

const toLink = (row: Database['one_time_links']): OneTimeLink => ({
  id: row.id,
  userId: row.user_id,
  purpose: row.purpose as OneTimeLinkPurpose,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  createdBy: row.created_by,
  ...(row.revoke_tokens === 1 ? { revokeTokens: true } : {}),
});

export function sqlOneTimeLinkStore(db: Kysely<Database>): OneTimeLinkStore {
  return {
    async create(link) {
      await db
        .insertInto('one_time_links')
        .values({
          id: link.id,
          user_id: link.userId,
          purpose: link.purpose,
          token_hash: link.tokenHash,
          created_at: link.createdAt,
          expires_at: link.expiresAt,
          used_at: link.usedAt,
          created_by: link.createdBy,
          revoke_tokens: link.revokeTokens ? 1 : 0,
        })
        .execute();
    },
    async getByHash(tokenHash) {
      const row = await db.selectFrom('one_time_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toLink(row);
    },
    async consume(linkId, at) {
      const result = await db.updateTable('one_time_links').set({ used_at: at }).where('id', '=', linkId).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async retireUnused(userId, purpose, at) {
      const retired = await db
        .updateTable('one_time_links')
        .set({ used_at: at })
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .returning(['revoke_tokens', 'expires_at'])
        .execute();
      // An expired link could no longer be redeemed: its choice lapsed with it.
      return { revokedTokens: retired.some((row) => Number(row.revoke_tokens) === 1 && row.expires_at > at) };
    },
    async rekey(linkId, tokenHash, now) {
      const result = await db
        .updateTable('one_time_links')
        .set({ token_hash: tokenHash })
        .where('id', '=', linkId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

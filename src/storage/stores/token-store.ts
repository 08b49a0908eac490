import { sql, type Kysely } from 'kysely';
import type { ApiToken } from '../../domain/tokens/api-token.ts';
import type { ApiTokenStore } from '../../domain/tokens/token-store.ts';
import type { Database } from '../schema.ts';

export const toToken = (row: Database['api_tokens']): ApiToken => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  tokenHash: row.token_hash,
  prefix: row.prefix,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

/** The unique partial index of migration 011: one token not revoked per (user, lower(name)). */
export const ACTIVE_TOKEN_NAME_INDEX = 'api_tokens_user_active_name';

/** PostgreSQL names the violated index in `constraint`; SQLite in the message ("UNIQUE constraint failed: index 'api_tokens_user_active_name'"). */
function violatesActiveName(error: unknown): boolean {
  const candidate = error as { code?: string; constraint?: string; message?: string };
  if (candidate?.code === '23505') return candidate.constraint === ACTIVE_TOKEN_NAME_INDEX;
  return /UNIQUE constraint failed/.test(candidate?.message ?? '') && (candidate?.message ?? '').includes(ACTIVE_TOKEN_NAME_INDEX);
}

export function sqlTokenStore(db: Kysely<Database>): ApiTokenStore {
  return {
    async create(token) {
      try {
        await db
          .insertInto('api_tokens')
          .values({
            id: token.id,
            user_id: token.userId,
            name: token.name,
            token_hash: token.tokenHash,
            prefix: token.prefix,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
            last_used_at: token.lastUsedAt,
            revoked_at: token.revokedAt,
          })
          .execute();
        return 'created';
      } catch (error) {
        if (violatesActiveName(error)) return 'name_taken';
        throw error;
      }
    },
    async findActiveByName(userId, name) {
      const row = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .where(sql<string>`lower(name)`, '=', sql<string>`lower(${name})`)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row && toToken(row);
    },
    async getByHash(tokenHash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toToken(row);
    },
    async getById(tokenId) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
      return row && toToken(row);
    },
    async listForUser(userId) {
      return (await db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').execute()).map(toToken);
    },
    async revoke(tokenId, at) {
      await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', tokenId).where('revoked_at', 'is', null).execute();
    },
    async revokeAllForUser(userId, at, exceptTokenId) {
      let update = db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
      if (exceptTokenId) update = update.where('id', '!=', exceptTokenId);
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async touch(tokenId, lastUsedAt) {
      await db.updateTable('api_tokens').set({ last_used_at: lastUsedAt }).where('id', '=', tokenId).execute();
    },
  };
}

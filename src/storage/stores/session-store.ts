import type { Kysely } from 'kysely';
import type { Session, SessionMethod } from '../../domain/sessions/session.ts';
import type { SessionStore } from '../../domain/sessions/session-store.ts';
import type { Database } from '../schema.ts';

export const toSession = (row: Database['sessions']): Session => ({
  id: row.id,
  userId: row.user_id,
  tokenHash: row.token_hash,
  csrfHash: row.csrf_hash,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  ip: row.ip,
  userAgent: row.user_agent,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  method: row.method as SessionMethod | null,
});

export function sqlSessionStore(db: Kysely<Database>): SessionStore {
  return {
    async create(session) {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          token_hash: session.tokenHash,
          csrf_hash: session.csrfHash,
          created_at: session.createdAt,
          last_seen_at: session.lastSeenAt,
          expires_at: session.expiresAt,
          ip: session.ip,
          user_agent: session.userAgent,
          ended_at: null,
          end_reason: null,
          method: session.method,
        })
        .execute();
    },
    async getByTokenHash(tokenHash) {
      const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toSession(row);
    },
    async getById(userId, sessionId) {
      const row = await db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('id', '=', sessionId).executeTakeFirst();
      return row && toSession(row);
    },
    async listActive(userId, now) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(toSession);
    },
    async touch(sessionId, lastSeenAt) {
      await db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', sessionId).execute();
    },
    async end(sessionId, at, reason) {
      await db.updateTable('sessions').set({ ended_at: at, end_reason: reason }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
    },
    async endAllForUser(userId, at, reason, exceptSessionId) {
      let update = db.updateTable('sessions').set({ ended_at: at, end_reason: reason }).where('user_id', '=', userId).where('ended_at', 'is', null);
      if (exceptSessionId) update = update.where('id', '!=', exceptSessionId);
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

import type { Kysely } from 'kysely';
import type { AvatarType } from '../../domain/users/avatar.ts';
import type { AvatarStore } from '../../domain/users/avatar-store.ts';
import type { Database } from '../schema.ts';

/** Stored as base64 text: one column type that both engines share. */
export function sqlAvatarStore(db: Kysely<Database>): AvatarStore {
  return {
    async set(avatar) {
      const values = { content_type: avatar.contentType, data_base64: avatar.data.toString('base64'), updated_at: avatar.updatedAt };
      await db
        .insertInto('user_avatars')
        .values({ user_id: avatar.userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .execute();
    },
    async get(userId) {
      const row = await db.selectFrom('user_avatars').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row && { userId: row.user_id, contentType: row.content_type as AvatarType, data: Buffer.from(row.data_base64, 'base64'), updatedAt: row.updated_at };
    },
    async updatedAt(userId) {
      const row = await db.selectFrom('user_avatars').select('updated_at').where('user_id', '=', userId).executeTakeFirst();
      return row?.updated_at ?? null;
    },
    async delete(userId) {
      await db.deleteFrom('user_avatars').where('user_id', '=', userId).execute();
    },
  };
}

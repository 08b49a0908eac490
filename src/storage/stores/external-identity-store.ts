import type { Kysely } from 'kysely';
import type { ExternalIdentity } from '../../domain/sso/external-identity.ts';
import type { ExternalIdentityStore } from '../../domain/sso/external-identity-store.ts';
import type { Database } from '../schema.ts';

const toIdentity = (row: Database['external_identities']): ExternalIdentity => ({
  issuer: row.issuer,
  subject: row.subject,
  userId: row.user_id,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
});

export function sqlExternalIdentityStore(db: Kysely<Database>): ExternalIdentityStore {
  return {
    async create(identity) {
      await db
        .insertInto('external_identities')
        .values({ issuer: identity.issuer, subject: identity.subject, user_id: identity.userId, created_at: identity.createdAt, last_login_at: identity.lastLoginAt })
        .execute();
    },
    async get(issuer, subject) {
      const row = await db.selectFrom('external_identities').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
      return row && toIdentity(row);
    },
    async listForUser(userId) {
      const rows = await db.selectFrom('external_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('issuer').orderBy('subject').execute();
      return rows.map(toIdentity);
    },
    async recordLogin(issuer, subject, at) {
      await db.updateTable('external_identities').set({ last_login_at: at }).where('issuer', '=', issuer).where('subject', '=', subject).execute();
    },
  };
}

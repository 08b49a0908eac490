import type { Kysely } from 'kysely';

/**
 * Single sign-on: the users' accounts at OpenID Providers (one link per issuer and
 * subject), the short-lived state of sign-ins in progress (so any node can finish what
 * another began), and how each session was opened (an SSO session's second factor is the
 * provider's business).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('external_identities')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addPrimaryKeyConstraint('external_identities_pk', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('external_identities_user').on('external_identities').column('user_id').execute();

  await db.schema
    .createTable('sso_login_states')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .execute();
  await db.schema.createIndex('sso_login_states_expires').on('sso_login_states').column('expires_at').execute();

  // password, totp, recovery_code or sso; null for sessions opened before this migration (all by password).
  await db.schema.alterTable('sessions').addColumn('method', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('method').execute();
  await db.schema.dropTable('sso_login_states').execute();
  await db.schema.dropTable('external_identities').execute();
}

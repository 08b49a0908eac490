import type { Kysely } from 'kysely';

/**
 * Sign-in attempts being checked right now, per brute-force counter they are counted on
 * (the account, the address, the device). An attempt holds its place here until its
 * secret is judged; a failure then becomes a counted failure in `login_throttle`. A place
 * whose node never came back (it crashed) lapses at `expires_at`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_attempts_in_flight')
    .addColumn('attempt_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_attempts_in_flight_pk', ['attempt_id', 'key'])
    .execute();
  await db.schema.createIndex('login_attempts_in_flight_key').on('login_attempts_in_flight').columns(['key', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_attempts_in_flight').execute();
}

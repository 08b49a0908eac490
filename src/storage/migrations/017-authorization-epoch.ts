import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * PostgreSQL: `authorization_epoch`, one row whose `version` moves with every committed change
 * that can alter an authorization decision, so that each node may keep the facts of recent
 * credentials and reuse them exactly (src/storage/stores/authorization-store.ts): the one
 * statement of a request reads the version, and the facts are read again (in the same statement)
 * only when it moved since they were kept.
 *
 * The version is bumped by triggers on the tables the authorization statement reads, for the
 * columns it reads, and for nothing else: a session's or a token's touch (`last_seen_at`,
 * `last_used_at`, which the statement reads back every time), a sign-in's `last_login_at`, a
 * display name, the audit trail and every other table leave it alone. Inserts that no kept facts
 * can depend on don't bump it either: a new session, token, user or role (the cache keeps only
 * credentials that were found, and a row can't point to a user or role that doesn't exist yet).
 *
 * The triggers are constraint triggers, deferred to the commit, and bump at most once per
 * transaction (a transaction-local setting records it): the row is locked only from the commit's
 * start to its end, after every other statement of the transaction, so writers don't queue on it
 * for the length of their transactions and can't deadlock on it (a transaction waiting for it
 * holds nothing anyone who holds it still needs). The bump commits with the change, atomically:
 * a statement that sees the new version sees the change, and one that sees the old version sees
 * the rows as they were before it.
 *
 * A TRUNCATE fires no row trigger (an operator's `truncate sessions` to sign everyone out, a
 * `truncate ... cascade`): a statement-level trigger on each table bumps for it, at once (the
 * TRUNCATE already holds the table exclusively until the commit).
 *
 * The version is a random value, new at every bump, never a count: a database restored from a
 * backup (or turned back any other way) can't come back to a version some node kept facts at
 * after the backup was taken, however many bumps follow. `bumps` counts them, for people.
 *
 * SQLite: nothing; one process owns the file and its change counters say the same
 * (SqliteChangeWatch).
 */
export const AUTHORIZATION_TRIGGERS: readonly { table: string; inserts: boolean; columns: readonly string[] }[] = [
  { table: 'api_tokens', inserts: false, columns: ['user_id', 'token_hash', 'expires_at', 'revoked_at'] },
  { table: 'sessions', inserts: false, columns: ['user_id', 'token_hash', 'csrf_hash', 'created_at', 'expires_at', 'ended_at', 'method'] },
  { table: 'users', inserts: false, columns: ['id', 'email', 'home_tenant_id', 'status', 'password_hash', 'must_change_password', 'two_factor_reenrolment_required_at'] },
  { table: 'two_factor', inserts: true, columns: ['user_id', 'status'] },
  { table: 'tenants', inserts: true, columns: ['id', 'slug', 'name'] },
  { table: 'role_assignments', inserts: true, columns: ['user_id', 'tenant_id', 'role_id'] },
  { table: 'role_elevations', inserts: true, columns: ['user_id', 'tenant_id', 'role_id', 'ends_at'] },
  { table: 'roles', inserts: false, columns: ['id', 'tenant_id', 'name', 'built_in', 'permissions'] },
  { table: 'auth_policies', inserts: true, columns: ['scope_id', 'require_two_factor', 'idle_timeout_seconds', 'absolute_timeout_seconds'] },
];

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create table authorization_epoch (id integer primary key check (id = 1), version text not null, bumps bigint not null)`.execute(db);
  await sql`insert into authorization_epoch (id, version, bumps) values (1, gen_random_uuid()::text, 0)`.execute(db);
  await sql`
    create function sophon_authorization_changed() returns trigger language plpgsql as $$
    begin
      if current_setting('sophon.authorization_epoch_bumped', true) is distinct from txid_current()::text then
        update authorization_epoch set version = gen_random_uuid()::text, bumps = bumps + 1 where id = 1;
        perform set_config('sophon.authorization_epoch_bumped', txid_current()::text, true);
      end if;
      return null;
    end
    $$`.execute(db);
  for (const { table, inserts, columns } of AUTHORIZATION_TRIGGERS) {
    const events = inserts ? 'insert or delete' : 'delete';
    await sql
      .raw(`create constraint trigger ${table}_authorization_changed after ${events} on ${table} deferrable initially deferred for each row execute function sophon_authorization_changed()`)
      .execute(db);
    const list = columns.join(', ');
    const old = columns.map((column) => `old.${column}`).join(', ');
    const now = columns.map((column) => `new.${column}`).join(', ');
    await sql
      .raw(
        `create constraint trigger ${table}_authorization_updated after update of ${list} on ${table} deferrable initially deferred for each row when ((${old}) is distinct from (${now})) execute function sophon_authorization_changed()`,
      )
      .execute(db);
    await sql.raw(`create trigger ${table}_authorization_truncated after truncate on ${table} for each statement execute function sophon_authorization_changed()`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const { table } of AUTHORIZATION_TRIGGERS) {
    await sql.raw(`drop trigger ${table}_authorization_changed on ${table}`).execute(db);
    await sql.raw(`drop trigger ${table}_authorization_updated on ${table}`).execute(db);
    await sql.raw(`drop trigger ${table}_authorization_truncated on ${table}`).execute(db);
  }
  await sql`drop function sophon_authorization_changed()`.execute(db);
  await sql`drop table authorization_epoch`.execute(db);
}

import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { createIndexOnline, dropIndexOnline } from './online-index.ts';

/** contentless_delete=1 (an FTS5 table that forgets a row by its rowid alone) arrived in SQLite 3.43.0; trigram in 3.34.0. */
const SQLITE_MINIMUM = [3, 43, 0];

/**
 * Indexes for tenants of a million users and their audit trails:
 *
 * - `role_assignments (tenant_id, user_id)` and `(tenant_id, role_id, user_id)`: a page of a
 *   tenant's users (all of them, or those of one role) is read in user-id order from the index
 *   and stops at the page's end, instead of reading every membership and sorting them.
 * - `audit_events (tenant_id, category, id)`, `(tenant_id, actor_id, id)`,
 *   `(tenant_id, subject_id, id)`: a filtered page of the trail, newest first, reads only the
 *   events it returns; `(tenant_id, occurred_at)` narrows a time window. They supersede the
 *   indexes of 001 on `(tenant_id, actor_id)` and `(tenant_id, subject_id)`.
 * - Search by email and display name, substring and case-insensitive:
 *   - SQLite: `user_search`, an FTS5 table with the trigram tokenizer, contentless (it keeps
 *     only the index, not a copy of the text), kept in step with `users` by triggers. Its rowids
 *     come from `user_search_keys` (an INTEGER PRIMARY KEY per user): not `users.rowid`, which
 *     VACUUM may renumber. The users already there are indexed here.
 *   - PostgreSQL: the `pg_trgm` extension and GIN trigram indexes on `users.email_normalized`
 *     (the email in lower case, as the store keeps it) and `lower(users.display_name)`.
 */
/**
 * PostgreSQL builds these indexes concurrently, outside a transaction, so sign-ins and audited
 * changes go on during the builds on a database that already holds millions of rows
 * (online-index.ts); every step may run again after a crash. SQLite runs it in a transaction.
 */
export const transactional = false;

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // Before any change: SQLite may run this migration outside a transaction.
  if (!postgres) await checkSqliteVersion(db);

  await createIndexOnline(db, { name: 'role_assignments_tenant_user', table: 'role_assignments', columns: ['tenant_id', 'user_id'] });
  await createIndexOnline(db, { name: 'role_assignments_tenant_role_user', table: 'role_assignments', columns: ['tenant_id', 'role_id', 'user_id'] });
  await dropIndexOnline(db, 'role_assignments_tenant_role');

  await createIndexOnline(db, { name: 'audit_events_tenant_category_id', table: 'audit_events', columns: ['tenant_id', 'category', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_tenant_actor_id', table: 'audit_events', columns: ['tenant_id', 'actor_id', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_tenant_subject_id', table: 'audit_events', columns: ['tenant_id', 'subject_id', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_tenant_occurred', table: 'audit_events', columns: ['tenant_id', 'occurred_at'] });
  await dropIndexOnline(db, 'audit_events_tenant_actor');
  await dropIndexOnline(db, 'audit_events_tenant_subject');

  if (postgres) await upPostgresSearch(db);
  else await upSqliteSearch(db);
}

async function upPostgresSearch(db: Kysely<any>): Promise<void> {
  const installed = await sql<{ extname: string }>`select extname from pg_extension where extname = 'pg_trgm'`.execute(db);
  if (installed.rows.length === 0) {
    try {
      await sql`create extension if not exists pg_trgm`.execute(db);
    } catch (error) {
      throw new Error(
        `the PostgreSQL extension pg_trgm (user search) could not be created: ${error instanceof Error ? error.message : String(error)}. ` +
          'It ships with PostgreSQL (Debian/Ubuntu: the postgresql-<version> package; elsewhere often postgresql-contrib). ' +
          'Install it on the database server, then either let this user create it (it is a trusted extension: CREATE privilege on the database is enough) ' +
          'or run CREATE EXTENSION pg_trgm; in this database as a superuser, and start again.',
      );
    }
  }
  await createIndexOnline(db, { name: 'users_email_trigram', table: 'users', using: 'gin', expression: sql`email_normalized gin_trgm_ops` });
  await createIndexOnline(db, { name: 'users_display_name_trigram', table: 'users', using: 'gin', expression: sql`lower(display_name) gin_trgm_ops` });
}

async function checkSqliteVersion(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ version: string }>`select sqlite_version() as version`.execute(db);
  const version = rows[0]!.version;
  const parts = version.split('.').map(Number);
  const first = SQLITE_MINIMUM.findIndex((minimum, index) => (parts[index] ?? 0) !== minimum);
  if (first !== -1 && (parts[first] ?? 0) < SQLITE_MINIMUM[first]!) {
    throw new Error(
      `user search needs SQLite ${SQLITE_MINIMUM.join('.')} or later (FTS5 with the trigram tokenizer and contentless_delete), and this Node.js has ${version}: run Sophon on Node.js 24 (npm start does)`,
    );
  }
}

async function upSqliteSearch(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_search_keys')
    .addColumn('search_rowid', 'integer', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().unique())
    .execute();
  await sql`create virtual table user_search using fts5(email, display_name, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
  await sql`
    create trigger users_search_insert after insert on users begin
      insert into user_search_keys (user_id) values (new.id);
      insert into user_search (rowid, email, display_name) select search_rowid, new.email, new.display_name from user_search_keys where user_id = new.id;
    end`.execute(db);
  await sql`
    create trigger users_search_update after update of email, display_name on users begin
      delete from user_search where rowid = (select search_rowid from user_search_keys where user_id = old.id);
      insert into user_search (rowid, email, display_name) select search_rowid, new.email, new.display_name from user_search_keys where user_id = new.id;
    end`.execute(db);
  await sql`
    create trigger users_search_delete after delete on users begin
      delete from user_search where rowid = (select search_rowid from user_search_keys where user_id = old.id);
      delete from user_search_keys where user_id = old.id;
    end`.execute(db);
  // The users created before this migration.
  await sql`insert into user_search_keys (user_id) select id from users order by id`.execute(db);
  await sql`insert into user_search (rowid, email, display_name) select k.search_rowid, u.email, u.display_name from user_search_keys k join users u on u.id = k.user_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // pg_trgm stays: other schemas of the database may use it.
    await db.schema.dropIndex('users_display_name_trigram').execute();
    await db.schema.dropIndex('users_email_trigram').execute();
  } else {
    await sql`drop trigger users_search_delete`.execute(db);
    await sql`drop trigger users_search_update`.execute(db);
    await sql`drop trigger users_search_insert`.execute(db);
    await sql`drop table user_search`.execute(db);
    await db.schema.dropTable('user_search_keys').execute();
  }
  await db.schema.createIndex('audit_events_tenant_subject').on('audit_events').columns(['tenant_id', 'subject_id']).execute();
  await db.schema.createIndex('audit_events_tenant_actor').on('audit_events').columns(['tenant_id', 'actor_id']).execute();
  await db.schema.dropIndex('audit_events_tenant_occurred').execute();
  await db.schema.dropIndex('audit_events_tenant_subject_id').execute();
  await db.schema.dropIndex('audit_events_tenant_actor_id').execute();
  await db.schema.dropIndex('audit_events_tenant_category_id').execute();
  await db.schema.createIndex('role_assignments_tenant_role').on('role_assignments').columns(['tenant_id', 'role_id']).execute();
  await db.schema.dropIndex('role_assignments_tenant_role_user').execute();
  await db.schema.dropIndex('role_assignments_tenant_user').execute();
}

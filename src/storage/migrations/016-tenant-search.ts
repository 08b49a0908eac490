import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { createIndexOnline, dropIndexOnline } from './online-index.ts';

/**
 * Search by tenant: an index whose entries are memberships, so that a search in a tenant reads
 * that tenant's matches alone, not every match of the installation filtered by membership
 * (docs/performance.md, "search from the tenant"). It replaces migration 008's
 * installation-wide search indexes, which nothing else reads (every search is in a tenant).
 *
 * - SQLite: `member_search`, an FTS5 table with the trigram tokenizer, contentless, one row per
 *   membership with the member's email and display name. Its rowid says the tenant: a tenant's
 *   rows are numbered from `tenant_key * 2^32` (`tenant_search_keys`, an INTEGER PRIMARY KEY per
 *   tenant), so a match constrained to that rowid range reads only the tenant's part of each
 *   trigram's doclist (FTS5 seeks a rowid range through its doclist indexes). Rowid to
 *   membership: `member_search_keys`. Kept exact by triggers on role_assignments (insert,
 *   delete, a change of its user or tenant) and users (a change of email or display name);
 *   deletes by cascade fire them too.
 * - PostgreSQL: `member_search (tenant_id, user_id, email_normalized, display_name_lower)`, one
 *   row per membership, with one GIN index over the tenant id (btree_gin) and both texts
 *   (pg_trgm): a search's bitmap is the tenant's entries ANDed with the term's trigrams. Kept by
 *   triggers: statement-level ones with transition tables for inserted and deleted memberships
 *   (a bulk import's multi-row INSERT is one join, not a statement per row), row-level ones for a
 *   membership moved and for a user's email or display name changed.
 *
 * Both are backfilled from the memberships already there. On PostgreSQL the backfill holds a
 * SHARE ROW EXCLUSIVE lock on users and role_assignments (reads go on; writes, sign-ins
 * included, wait for it: seconds at a million memberships), so that no write falls between the
 * copy and the triggers; the GIN index is then built concurrently (online-index.ts).
 */
export const transactional = false;

/** A tenant's rows of member_search are numbered from its key times this (SQLite). */
export const TENANT_ROWID_SPAN = 4_294_967_296;

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) await upPostgres(db);
  else await upSqlite(db);
}

async function upSqlite(db: Kysely<any>): Promise<void> {
  await sql`create table tenant_search_keys (tenant_key integer primary key, tenant_id text not null unique)`.execute(db);
  await sql`create table member_search_keys (search_rowid integer primary key, tenant_id text not null, user_id text not null, unique (user_id, tenant_id))`.execute(db);
  await sql`create virtual table member_search using fts5(email, display_name, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
  // A new membership: its tenant's key (once), the next rowid of the tenant's range, its text.
  const addMembership = (row: 'new') => sql`
      insert or ignore into tenant_search_keys (tenant_id) values (${sql.raw(row)}.tenant_id);
      insert into member_search_keys (search_rowid, tenant_id, user_id)
        select coalesce(
            (select max(k.search_rowid) + 1 from member_search_keys k where k.search_rowid between t.tenant_key * ${sql.lit(TENANT_ROWID_SPAN)} and t.tenant_key * ${sql.lit(TENANT_ROWID_SPAN)} + ${sql.lit(TENANT_ROWID_SPAN - 1)}),
            t.tenant_key * ${sql.lit(TENANT_ROWID_SPAN)}),
          ${sql.raw(row)}.tenant_id, ${sql.raw(row)}.user_id
        from tenant_search_keys t where t.tenant_id = ${sql.raw(row)}.tenant_id;
      insert into member_search (rowid, email, display_name)
        select k.search_rowid, u.email, u.display_name from member_search_keys k join users u on u.id = k.user_id
        where k.user_id = ${sql.raw(row)}.user_id and k.tenant_id = ${sql.raw(row)}.tenant_id;`;
  const removeMembership = (row: 'old') => sql`
      delete from member_search where rowid = (select search_rowid from member_search_keys where user_id = ${sql.raw(row)}.user_id and tenant_id = ${sql.raw(row)}.tenant_id);
      delete from member_search_keys where user_id = ${sql.raw(row)}.user_id and tenant_id = ${sql.raw(row)}.tenant_id;`;
  await sql`create trigger role_assignments_search_insert after insert on role_assignments begin ${addMembership('new')} end`.execute(db);
  await sql`create trigger role_assignments_search_delete after delete on role_assignments begin ${removeMembership('old')} end`.execute(db);
  await sql`
    create trigger role_assignments_search_move after update of user_id, tenant_id on role_assignments
    when old.user_id is not new.user_id or old.tenant_id is not new.tenant_id begin
      ${removeMembership('old')}
      ${addMembership('new')}
    end`.execute(db);
  await sql`
    create trigger users_member_search_update after update of email, display_name on users
    when old.email is not new.email or old.display_name is not new.display_name begin
      delete from member_search where rowid in (select search_rowid from member_search_keys where user_id = old.id);
      insert into member_search (rowid, email, display_name) select search_rowid, new.email, new.display_name from member_search_keys where user_id = new.id;
    end`.execute(db);
  await sql`create trigger tenants_search_delete after delete on tenants begin delete from tenant_search_keys where tenant_id = old.id; end`.execute(db);

  // The memberships already there, each tenant's numbered in user-id order.
  await sql`insert into tenant_search_keys (tenant_id) select distinct tenant_id from role_assignments order by tenant_id`.execute(db);
  await sql`
    insert into member_search_keys (search_rowid, tenant_id, user_id)
    select t.tenant_key * ${sql.lit(TENANT_ROWID_SPAN)} + row_number() over (partition by ra.tenant_id order by ra.user_id) - 1, ra.tenant_id, ra.user_id
    from role_assignments ra join tenant_search_keys t on t.tenant_id = ra.tenant_id`.execute(db);
  await sql`insert into member_search (rowid, email, display_name) select k.search_rowid, u.email, u.display_name from member_search_keys k join users u on u.id = k.user_id order by k.search_rowid`.execute(db);

  // Migration 008's installation-wide index: no search reads it any more.
  await sql`drop trigger users_search_delete`.execute(db);
  await sql`drop trigger users_search_update`.execute(db);
  await sql`drop trigger users_search_insert`.execute(db);
  await sql`drop table user_search`.execute(db);
  await sql`drop table user_search_keys`.execute(db);
}

async function createExtension(db: Kysely<any>, name: string, purpose: string): Promise<void> {
  const installed = await sql<{ extname: string }>`select extname from pg_extension where extname = ${name}`.execute(db);
  if (installed.rows.length > 0) return;
  try {
    await sql`create extension if not exists ${sql.id(name)}`.execute(db);
  } catch (error) {
    throw new Error(
      `the PostgreSQL extension ${name} (${purpose}) could not be created: ${error instanceof Error ? error.message : String(error)}. ` +
        'It ships with PostgreSQL (Debian/Ubuntu: the postgresql-<version> package; elsewhere often postgresql-contrib). ' +
        'Install it on the database server, then either let this user create it (it is a trusted extension: CREATE privilege on the database is enough) ' +
        `or run CREATE EXTENSION ${name}; in this database as a superuser, and start again.`,
    );
  }
}

async function upPostgres(db: Kysely<any>): Promise<void> {
  await createExtension(db, 'pg_trgm', 'user search');
  await createExtension(db, 'btree_gin', "user search within a tenant: the tenant id in the search's GIN index");
  await db.transaction().execute(async (trx) => {
    // Each step may run again after a crash (this migration runs outside one transaction).
    await sql`create table if not exists member_search (
      tenant_id text not null references tenants (id) on delete cascade,
      user_id text not null references users (id) on delete cascade,
      email_normalized text not null,
      display_name_lower text not null,
      primary key (tenant_id, user_id))`.execute(trx);
    await sql`lock table users, role_assignments in share row exclusive mode`.execute(trx);
    await sql`
      create or replace function member_search_inserted() returns trigger language plpgsql as $$
      begin
        insert into member_search (tenant_id, user_id, email_normalized, display_name_lower)
          select n.tenant_id, n.user_id, u.email_normalized, lower(u.display_name) from inserted n join users u on u.id = n.user_id
          on conflict (tenant_id, user_id) do nothing;
        return null;
      end $$`.execute(trx);
    await sql`
      create or replace function member_search_deleted() returns trigger language plpgsql as $$
      begin
        delete from member_search s using deleted o where s.tenant_id = o.tenant_id and s.user_id = o.user_id;
        return null;
      end $$`.execute(trx);
    await sql`
      create or replace function member_search_moved() returns trigger language plpgsql as $$
      begin
        delete from member_search where tenant_id = old.tenant_id and user_id = old.user_id;
        insert into member_search (tenant_id, user_id, email_normalized, display_name_lower)
          select new.tenant_id, u.id, u.email_normalized, lower(u.display_name) from users u where u.id = new.user_id
          on conflict (tenant_id, user_id) do nothing;
        return null;
      end $$`.execute(trx);
    await sql`
      create or replace function member_search_user_changed() returns trigger language plpgsql as $$
      begin
        update member_search set email_normalized = new.email_normalized, display_name_lower = lower(new.display_name) where user_id = new.id;
        return null;
      end $$`.execute(trx);
    await sql`drop trigger if exists role_assignments_search_insert on role_assignments`.execute(trx);
    await sql`drop trigger if exists role_assignments_search_delete on role_assignments`.execute(trx);
    await sql`drop trigger if exists role_assignments_search_move on role_assignments`.execute(trx);
    await sql`drop trigger if exists users_member_search_update on users`.execute(trx);
    await sql`create trigger role_assignments_search_insert after insert on role_assignments referencing new table as inserted for each statement execute function member_search_inserted()`.execute(trx);
    await sql`create trigger role_assignments_search_delete after delete on role_assignments referencing old table as deleted for each statement execute function member_search_deleted()`.execute(trx);
    await sql`
      create trigger role_assignments_search_move after update of user_id, tenant_id on role_assignments for each row
      when (old.user_id is distinct from new.user_id or old.tenant_id is distinct from new.tenant_id) execute function member_search_moved()`.execute(trx);
    await sql`
      create trigger users_member_search_update after update of email_normalized, display_name on users for each row
      when (old.email_normalized is distinct from new.email_normalized or old.display_name is distinct from new.display_name) execute function member_search_user_changed()`.execute(trx);
    // The memberships already there (none twice if this runs again).
    await sql`
      insert into member_search (tenant_id, user_id, email_normalized, display_name_lower)
      select ra.tenant_id, ra.user_id, u.email_normalized, lower(u.display_name) from role_assignments ra join users u on u.id = ra.user_id
      on conflict (tenant_id, user_id) do nothing`.execute(trx);
  });
  await createIndexOnline(db, { name: 'member_search_trigram', table: 'member_search', using: 'gin', expression: sql`tenant_id, email_normalized gin_trgm_ops, display_name_lower gin_trgm_ops` });
  await sql`analyze member_search`.execute(db);
  // Migration 008's installation-wide indexes: no search reads them any more.
  await dropIndexOnline(db, 'users_email_trigram');
  await dropIndexOnline(db, 'users_display_name_trigram');
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await createIndexOnline(db, { name: 'users_email_trigram', table: 'users', using: 'gin', expression: sql`email_normalized gin_trgm_ops` });
    await createIndexOnline(db, { name: 'users_display_name_trigram', table: 'users', using: 'gin', expression: sql`lower(display_name) gin_trgm_ops` });
    await sql`drop table if exists member_search`.execute(db);
    await sql`drop trigger if exists role_assignments_search_insert on role_assignments`.execute(db);
    await sql`drop trigger if exists role_assignments_search_delete on role_assignments`.execute(db);
    await sql`drop trigger if exists role_assignments_search_move on role_assignments`.execute(db);
    await sql`drop trigger if exists users_member_search_update on users`.execute(db);
    for (const name of ['member_search_inserted', 'member_search_deleted', 'member_search_moved', 'member_search_user_changed']) await sql`drop function if exists ${sql.id(name)}()`.execute(db);
    return;
  }
  // Migration 008's installation-wide index again, with the users there now.
  await sql`create table user_search_keys (search_rowid integer primary key, user_id text not null unique)`.execute(db);
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
  await sql`insert into user_search_keys (user_id) select id from users order by id`.execute(db);
  await sql`insert into user_search (rowid, email, display_name) select k.search_rowid, u.email, u.display_name from user_search_keys k join users u on u.id = k.user_id`.execute(db);
  for (const name of ['tenants_search_delete', 'users_member_search_update', 'role_assignments_search_move', 'role_assignments_search_delete', 'role_assignments_search_insert']) await sql`drop trigger ${sql.id(name)}`.execute(db);
  await sql`drop table member_search`.execute(db);
  await sql`drop table member_search_keys`.execute(db);
  await sql`drop table tenant_search_keys`.execute(db);
}

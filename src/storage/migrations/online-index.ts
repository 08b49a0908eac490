import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Index builds that don't lock out writers on PostgreSQL (issue 10: "index builds on large tables
 * must not lock out sign-ins for long").
 *
 * A plain CREATE INDEX holds a lock that blocks every INSERT, UPDATE and DELETE of the table until
 * the build ends: on a million users, seconds in which no one can sign in (a sign-in writes
 * `users`), on ten million audit events, minutes in which nothing can be audited, so nothing can
 * change. CREATE INDEX CONCURRENTLY lets writers through, but can't run inside a transaction, so a
 * migration that uses these helpers declares `export const transactional = false` and open-database's
 * `migrate` runs it on its own, outside a transaction (still under the migrator's lock, so one node
 * migrates at a time). Each statement then commits by itself, so each step is written to be run
 * again after a crash: IF NOT EXISTS, IF EXISTS, and an index a failed concurrent build left
 * INVALID is dropped and built again.
 *
 * SQLite has one process and no concurrent builds: plain CREATE / DROP INDEX, IF (NOT) EXISTS,
 * inside the migration's transaction as ever.
 */
export interface IndexDefinition {
  name: string;
  table: string;
  /** Plain columns, in order; or `expression` (with `using`, e.g. a GIN trigram index). */
  columns?: readonly string[];
  expression?: RawBuilder<unknown>;
  using?: 'gin';
}

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

export async function createIndexOnline(db: Kysely<any>, index: IndexDefinition): Promise<void> {
  const body = index.expression ?? sql.join((index.columns ?? []).map((column) => sql.ref(column)));
  if (!isPostgres(db)) {
    await sql`create index if not exists ${sql.id(index.name)} on ${sql.table(index.table)} (${body})`.execute(db);
    return;
  }
  const existing = await sql<{ valid: boolean }>`
    select i.indisvalid as valid from pg_class c join pg_index i on i.indexrelid = c.oid
    where c.relname = ${index.name} and c.relnamespace = current_schema()::regnamespace`.execute(db);
  // A concurrent build that was interrupted leaves the index in place but INVALID (unused, yet maintained): start over.
  if (existing.rows[0] && !existing.rows[0].valid) await sql`drop index concurrently if exists ${sql.id(index.name)}`.execute(db);
  const using = index.using ? sql` using ${sql.raw(index.using)}` : sql``;
  await sql`create index concurrently if not exists ${sql.id(index.name)} on ${sql.table(index.table)}${using} (${body})`.execute(db);
}

export async function dropIndexOnline(db: Kysely<any>, name: string): Promise<void> {
  if (!isPostgres(db)) await sql`drop index if exists ${sql.id(name)}`.execute(db);
  else await sql`drop index concurrently if exists ${sql.id(name)}`.execute(db);
}

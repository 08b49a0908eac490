import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared per connection; the least recently used is dropped beyond this. */
export const SQLITE_STATEMENT_CACHE_SIZE = 500;

type Values = Parameters<StatementSync['all']>;

/**
 * Kysely's SQLite dialect speaks better-sqlite3's interface; node:sqlite (built into
 * Node 24, no addon to compile) differs in two ways this adapter bridges: statements
 * don't say whether they return rows (`reader`), and parameters are spread, not passed
 * as an array.
 *
 * Kysely asks for a statement on every query, so the adapter keeps the prepared ones,
 * keyed by SQL text (a few dozen distinct texts serve every request), with `reader` worked
 * out once: compiling the SQL and asking for its columns is then paid once per text, not
 * per query. This is safe because node:sqlite binds every parameter again on each call (one
 * not passed is NULL, never the previous value) and Kysely runs `all`/`run` synchronously
 * right after `prepare`, on the one connection its mutex hands out. SQLite re-prepares a
 * statement by itself after a schema change. `iterate` is the exception: a reused statement
 * that runs again invalidates an open iterator ("iterator was invalidated"), so streaming
 * gets a statement of its own.
 */
export function adapt(database: DatabaseSync, cacheSize = SQLITE_STATEMENT_CACHE_SIZE): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const cache = new Map<string, SqliteStatement>();
  return {
    close() {
      cache.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      const adapted: SqliteStatement = {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...(parameters as Values)),
        run: (parameters) => statement.run(...(parameters as Values)),
        iterate: (parameters) => database.prepare(sql).iterate(...(parameters as Values)),
      };
      cache.set(sql, adapted);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
      return adapted;
    },
  };
}

/** The SQL function, on every connection, that lower-cases text as JavaScript does (all of Unicode). Used in queries only, never in the schema, so other tools can still open the file. */
export const UNICODE_LOWER = 'unicode_lower';

/**
 * What the connection has seen change, for a cache that must never answer from rows that have
 * changed since it read them (src/storage/stores/authorization-cache.ts). Two counters, read in
 * one statement: `PRAGMA data_version`, which moves when another connection (another process on
 * the same file, a tool) commits, and `total_changes()`, which moves with every row this
 * connection inserts, updates or deletes, in a transaction that commits or not. Together they
 * move with every write that can reach the file; a reader that sees both unchanged knows no row
 * changed since it last looked (an over-count, such as a rolled-back write, only costs a re-read).
 */
export class SqliteChangeWatch {
  static readonly SQL = 'select (select "data_version" from pragma_data_version) as "data", total_changes() as "changes"';
  /** The same two counters, as columns to add to a select of the statement that fills a cache. */
  static readonly COLUMNS = '(select "data_version" from pragma_data_version) as "v_data", total_changes() as "v_changes"';
  #database: DatabaseSync | undefined;
  #statement: StatementSync | undefined;
  readonly #record: (sql: string) => void;
  /** Times the counters were read. */
  reads = 0;

  /** `record` counts the statement where the others are counted (the statement log). */
  constructor(record: (sql: string) => void = () => undefined) {
    this.#record = record;
  }

  attach(database: DatabaseSync): void {
    this.#database = database;
    this.#statement = database.prepare(SqliteChangeWatch.SQL);
  }

  /**
   * The counters now, as one value to compare; undefined when they can't vouch for anything: no
   * connection yet, or a transaction open on it (its writes may be under way, and the file's
   * changes by others are hidden from its snapshot), when the reader must read afresh.
   */
  version(): string | undefined {
    const database = this.#database;
    if (!database || !this.#statement || database.isTransaction) return undefined;
    this.reads++;
    this.#record(SqliteChangeWatch.SQL);
    const row = this.#statement.get() as { data: number; changes: number };
    return `${row.data}:${row.changes}`;
  }
}

/**
 * The version a row of the authorization statement was read at: SqliteChangeWatch.version()'s
 * from SqliteChangeWatch.COLUMNS on SQLite, the authorization epoch's (migration 017) on PostgreSQL.
 */
export const versionOfRow = (row: Record<string, unknown>): string | undefined => {
  if (typeof row.v_epoch === 'string') return row.v_epoch;
  return row.v_data === undefined || row.v_changes === undefined ? undefined : `${row.v_data}:${row.v_changes}`;
};

export function createSqliteDialect(file: string, watch?: SqliteChangeWatch): SqliteDialect {
  return new SqliteDialect({
    database: async () => {
      const database = new DatabaseSync(file);
      // WAL lets readers run beside the writer; the busy timeout waits out another process's write.
      database.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
      // SQLite's lower() folds ASCII only ("ZOË" → "zoË"): queries that compare text in any case use this one.
      database.function(UNICODE_LOWER, { deterministic: true }, (text) => (typeof text === 'string' ? text.toLowerCase() : text));
      watch?.attach(database);
      return adapt(database);
    },
  });
}

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

export function createSqliteDialect(file: string): SqliteDialect {
  return new SqliteDialect({
    database: async () => {
      const database = new DatabaseSync(file);
      // WAL lets readers run beside the writer; the busy timeout waits out another process's write.
      database.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
      // SQLite's lower() folds ASCII only ("ZOË" → "zoË"): queries that compare text in any case use this one.
      database.function(UNICODE_LOWER, { deterministic: true }, (text) => (typeof text === 'string' ? text.toLowerCase() : text));
      return adapt(database);
    },
  });
}

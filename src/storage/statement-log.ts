import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult } from 'kysely';

export type StatementListener = (sql: string) => void;

/**
 * Counts the SQL statements a database handle sends, transaction control (begin, commit,
 * savepoints) included, each counted when it is sent. Always on: a count and a check for
 * listeners per statement, nothing beside a query's own cost. Tests and the benchmark read
 * `count` before and after a request, or listen to see the statements themselves.
 */
export class StatementLog {
  /** Statements sent since the database was opened. */
  count = 0;
  readonly #listeners = new Set<StatementListener>();

  record(sql: string): void {
    this.count++;
    if (this.#listeners.size > 0) for (const listener of this.#listeners) listener(sql);
  }

  /** Calls `listener` with the SQL text of every statement from now on; returns the way to stop. */
  listen(listener: StatementListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * The dialect, with every connection its driver hands out reporting to `log`. The
 * connection object itself is instrumented (once), not wrapped: drivers recognise their
 * own connections when they are released.
 */
export function loggingDialect(dialect: Dialect, log: StatementLog): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver() {
      const driver = dialect.createDriver();
      const instrumented = new WeakSet<DatabaseConnection>();
      const acquireConnection = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async () => {
        const connection = await acquireConnection();
        if (!instrumented.has(connection)) {
          instrumented.add(connection);
          const executeQuery = connection.executeQuery;
          const streamQuery = connection.streamQuery;
          connection.executeQuery = <R>(query: CompiledQuery) => {
            log.record(query.sql);
            return executeQuery.call(connection, query) as Promise<QueryResult<R>>;
          };
          connection.streamQuery = <R>(query: CompiledQuery, chunkSize?: number) => {
            log.record(query.sql);
            return streamQuery.call(connection, query, chunkSize) as AsyncIterableIterator<QueryResult<R>>;
          };
        }
        return connection;
      };
      return driver;
    },
  };
}

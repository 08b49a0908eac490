import { PostgresDialect } from 'kysely';
import pg from 'pg';

/**
 * A pool whose idle connections may die (a PostgreSQL restart, a failover, an admin ending
 * backends): pg reports that as an 'error' event on the pool, which without a listener
 * would take the whole process down. The pool has already dropped the connection; the
 * next query opens a new one, so reporting it is all there is to do.
 */
export function createPostgresDialect(connectionString: string, onIdleConnectionLost: (error: Error) => void, poolSize = 10): PostgresDialect {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  pool.on('error', onIdleConnectionLost);
  return new PostgresDialect({ pool });
}

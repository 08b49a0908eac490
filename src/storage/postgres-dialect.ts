import { PostgresDialect } from 'kysely';
import pg from 'pg';

export function createPostgresDialect(connectionString: string, poolSize = 10): PostgresDialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString, max: poolSize }) });
}

import path from 'node:path';
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.ts';
import { createPostgresDialect } from './postgres-dialect.ts';
import { createSqliteDialect, SqliteChangeWatch } from './sqlite-dialect.ts';
import { ensurePrivateDirectory, ensurePrivateSqliteFiles } from './private-files.ts';
import { loggingDialect, StatementLog } from './statement-log.ts';
import * as initial from './migrations/001-initial.ts';
import * as userLifecycle from './migrations/002-user-lifecycle.ts';
import * as twoFactor from './migrations/003-two-factor.ts';
import * as sso from './migrations/004-sso.ts';
import * as reenrolment from './migrations/005-reenrolment.ts';
import * as loginAttemptsInFlight from './migrations/006-login-attempts-in-flight.ts';
import * as mailDelivery from './migrations/007-mail-delivery.ts';
import * as scaleIndexes from './migrations/008-scale-indexes.ts';
import * as importJobs from './migrations/009-import-jobs.ts';
import * as accessReviews from './migrations/010-access-reviews.ts';
import * as tokenNames from './migrations/011-token-names.ts';
import * as timeBoundRoles from './migrations/012-time-bound-roles.ts';
import * as auditAndUserOrder from './migrations/013-audit-and-user-order.ts';
import * as searchWalk from './migrations/014-search-walk.ts';

export type Engine = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<Database>;
  engine: Engine;
  /** Where it lives, without credentials, for the start-up log. */
  location: string;
  /** Counts the SQL statements sent through `db` (tests and the benchmark read it). */
  statements: StatementLog;
  /** SQLite: what tells a cache that no row has changed since it read (the authorization cache). */
  changes?: SqliteChangeWatch;
}

/** What migrate() turns on once the schema is up to date: PostgreSQL's named prepared statements. */
const afterMigration = new WeakMap<Kysely<Database>, () => void>();

/** The migrations, in order. Listed in code (not read from a folder) so they travel with the bundle. */
const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-user-lifecycle': userLifecycle,
  '003-two-factor': twoFactor,
  '004-sso': sso,
  '005-reenrolment': reenrolment,
  '006-login-attempts-in-flight': loginAttemptsInFlight,
  '007-mail-delivery': mailDelivery,
  '008-scale-indexes': scaleIndexes,
  '009-import-jobs': importJobs,
  '010-access-reviews': accessReviews,
  '011-token-names': tokenNames,
  '012-time-bound-roles': timeBoundRoles,
  '013-audit-and-user-order': auditAndUserOrder,
  '014-search-walk': searchWalk,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** PostgreSQL when a postgres:// URL is given, else the embedded SQLite file under the data directory. */
export function openDatabase(options: { databaseUrl?: string; dataDir: string; report?: (line: string) => void }): OpenedDatabase {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new Error(`SOPHON_DATABASE_URL must start with postgres:// (got "${options.databaseUrl.split(':')[0]}:")`);
    }
    const location = options.databaseUrl.replace(/\/\/[^@/]*@/, '//');
    const report = options.report ?? ((line: string) => console.error(`Sophon Identity: ${line}`));
    const { dialect, preparedStatements } = createPostgresDialect(options.databaseUrl, (error) => report(`lost an idle PostgreSQL connection (${error.message}); the next query opens a new one`));
    const statements = new StatementLog();
    const db = new Kysely<Database>({ dialect: loggingDialect(dialect, statements) });
    afterMigration.set(db, () => preparedStatements.enable());
    return { db, engine: 'postgres', location, statements };
  }
  const report = options.report ?? ((line: string) => console.error(`Sophon Identity: ${line}`));
  ensurePrivateDirectory(options.dataDir, report);
  const file = path.resolve(options.dataDir, 'sophon.db');
  ensurePrivateSqliteFiles(file, report);
  const statements = new StatementLog();
  const changes = new SqliteChangeWatch((sql) => statements.record(sql));
  return { db: new Kysely<Database>({ dialect: loggingDialect(createSqliteDialect(file, changes), statements) }), engine: 'sqlite', location: file, statements, changes };
}

/** The migrations in order, by name (the upgrade test starts a database at an earlier one). */
export const migrationNames: readonly string[] = Object.keys(migrations);

/** Brings the schema to `name` and no further: a database as an earlier release left it. */
export async function migrateTo(db: Kysely<Database>, name: string): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateTo(name);
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) throw new Error(`database migration to ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so several nodes may start at once. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  afterMigration.get(db)?.();
}

import path from 'node:path';
import { Kysely, Migrator, PostgresAdapter, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
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
import * as importJobLeases from './migrations/015-import-job-leases.ts';
import * as tenantSearch from './migrations/016-tenant-search.ts';
import * as authorizationEpoch from './migrations/017-authorization-epoch.ts';

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
  '015-import-job-leases': importJobLeases,
  '016-tenant-search': tenantSearch,
  '017-authorization-epoch': authorizationEpoch,
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
  await runMigrations(db, name);
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so several nodes may start at once. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  await runMigrations(db, migrationNames.at(-1)!);
  afterMigration.get(db)?.();
}

/**
 * Runs the pending migrations up to `target`, in order. On PostgreSQL a migration that builds
 * indexes concurrently (`export const transactional = false`, see migrations/online-index.ts) runs
 * on its own, outside a transaction; the others run together in one transaction, as Kysely's
 * migrator does. Each run holds the migrator's lock. SQLite runs them all in one transaction.
 */
async function runMigrations(db: Kysely<Database>, target: string): Promise<void> {
  const check = ({ error, results }: MigrationResultSet) => {
    const failed = results?.find((result) => result.status === 'Error');
    if (error || failed) {
      throw new Error(`database migration ${failed?.migrationName ?? target} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    check(await new Migrator({ db, provider }).migrateTo(target));
    return;
  }
  const upTo = migrationNames.indexOf(target);
  const pending = (await new Migrator({ db, provider }).getMigrations())
    .filter((migration) => !migration.executedAt && migrationNames.indexOf(migration.name) <= upTo)
    .map((migration) => migration.name);
  for (let index = 0; index < pending.length; index++) {
    const name = pending[index]!;
    const alone = !isTransactional(migrations[name]!);
    const next = pending[index + 1];
    if (!alone && next !== undefined && isTransactional(migrations[next]!)) continue;
    check(await new Migrator({ db, provider, disableTransactions: alone }).migrateTo(name));
  }
}

/** False for a migration that declares `export const transactional = false` (it builds indexes concurrently on PostgreSQL). */
const isTransactional = (migration: Migration) => (migration as Migration & { transactional?: boolean }).transactional !== false;

import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';
import { fail } from '../domain/error-catalogue.ts';

/**
 * The two questions operations ask the database directly, each one cheap statement: is it
 * there with the schema this server needs (GET /readyz), and how much mail waits (GET /metrics).
 */

const READINESS_TIMEOUT_MS = 2000;

/** The migrations recorded in the database (Kysely's table): read once after migrating at start. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  return rows.map((row) => row.name).sort();
}

/**
 * Ready when the database answers within two seconds and still records every migration this
 * server saw applied at start (a database restored from an older backup, or a failover to a
 * stale replica, doesn't). Throws DATABASE_UNREACHABLE or DATABASE_SCHEMA_BEHIND (503) otherwise.
 */
export function readinessProbe(db: Kysely<Database>, expectedMigrations: readonly string[]): () => Promise<{ status: 'ready'; migrations: number }> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS / 1000} s`)), READINESS_TIMEOUT_MS);
    });
    let applied: string[];
    try {
      applied = await Promise.race([appliedMigrations(db), timeout]);
    } catch (error) {
      throw fail('DATABASE_UNREACHABLE', { reason: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
    const present = new Set(applied);
    const missing = expectedMigrations.filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw fail('DATABASE_SCHEMA_BEHIND', { migrations: missing.join(', ') }, { missingMigrations: missing });
    }
    return { status: 'ready', migrations: applied.length };
  };
}

/** Messages pending delivery and given up on, in one statement (the outbox's (status, next_attempt_at) index covers it). */
export async function outboxCounts(db: Kysely<Database>): Promise<{ pending: number; failed: number }> {
  const rows = await db
    .selectFrom('mail_outbox')
    .select((eb) => ['status', eb.fn.countAll<string | number>().as('count')])
    .where('status', 'in', ['pending', 'failed'])
    .groupBy('status')
    .execute();
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
  return { pending: count('pending'), failed: count('failed') };
}

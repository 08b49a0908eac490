import { POSTGRES_ADMIN_URL, withAdminClient } from './postgres.ts';

/**
 * Every integration suite runs on SQLite and on PostgreSQL. An unreachable PostgreSQL
 * fails the run rather than quietly testing one engine.
 */
export default async function setup(): Promise<void> {
  try {
    await withAdminClient((client) => client.query('select 1'));
  } catch (error) {
    throw new Error(
      `PostgreSQL is unreachable at ${POSTGRES_ADMIN_URL} (${(error as Error).message}). Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set SOPHON_TEST_POSTGRES_URL.`,
    );
  }
}

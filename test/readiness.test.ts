import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, startTestServer, type TestDatabase, type TestServer } from './support/harness.ts';
import { withAdminClient } from './support/postgres.ts';

/** GET /readyz: the database answers and still has every migration this server needs; else 503 saying why. */

describe.each(engines)('readiness on %s', (engine) => {
  let database: TestDatabase;
  let test: TestServer;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    test = await startTestServer(engine, { database });
  });
  afterAll(async () => {
    await test?.close();
    await database?.drop();
  });

  it('answers ready without a credential, with the liveness check beside it', async () => {
    const ready = await test.anonymous.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', migrations: expect.any(Number) });
    expect(ready.body.migrations).toBeGreaterThanOrEqual(4);
    expect((await test.anonymous.get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('answers 503 naming the migration a database restored from an older backup lacks, and ready again once it is back', async () => {
    const { db } = test.server.database;
    const { rows } = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(db);
    const newest = rows[0]!;
    await sql`delete from kysely_migration where name = ${newest.name}`.execute(db);
    try {
      const behind = await test.anonymous.get('/readyz');
      expect(behind.status).toBe(503);
      expect(behind.body.error).toMatchObject({ code: 'DATABASE_SCHEMA_BEHIND', missingMigrations: [newest.name] });
      expect(behind.body.error.message).toContain(newest.name);
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${newest.name}, ${newest.timestamp})`.execute(db);
    }
    expect((await test.anonymous.get('/readyz')).status).toBe(200);
  });

  it.runIf(engine === 'postgres')('answers 503 while the database refuses connections, and ready again once it accepts them', async () => {
    const name = new URL(database.databaseUrl!).pathname.slice(1);
    await withAdminClient(async (client) => {
      await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    });
    try {
      // Asked only once the pool has seen its idle connections end, so no query of this test runs on a connection as it ends.
      await expect.poll(() => test.printed.some((line) => line.includes('lost an idle PostgreSQL connection')), { timeout: 10_000 }).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const down = await test.anonymous.get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('DATABASE_UNREACHABLE');
      expect(down.body.error.message).toMatch(/^Not ready: the database does not answer \(.+\)\.$/);
    } finally {
      await withAdminClient((client) => client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`));
    }
    await expect.poll(async () => (await test.anonymous.get('/readyz')).status, { timeout: 10_000 }).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from './support/harness.ts';
import { withAdminClient } from './support/postgres.ts';

// PostgreSQL ends a node's connections when it restarts, fails over, or an operator ends
// backends. The node must report it and carry on with fresh connections, not crash.
describe('a node on PostgreSQL whose connections are ended under it', () => {
  let database: TestDatabase;
  let test: TestServer;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    test = await startTestServer('postgres', { database });
  });
  afterAll(async () => {
    await test.close();
    await database.drop();
  });

  it('keeps answering and says what happened', async () => {
    expect((await test.admin.get('/api/v1/users')).status).toBe(200);
    const name = new URL(database.databaseUrl!).pathname.slice(1);
    const ended = await withAdminClient((client) =>
      client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]),
    );
    expect(ended.rowCount).toBeGreaterThan(0);

    // The loss is reported (not an uncaught error that ends the process) …
    await expect.poll(() => test.printed.some((line) => line.includes('lost an idle PostgreSQL connection')), { timeout: 10_000 }).toBe(true);
    // … and the node answers on fresh connections. (A request that raced the connection's end
    // may fail once; the one after it must not.)
    await expect.poll(async () => (await test.admin.get('/api/v1/users')).status, { timeout: 10_000 }).toBe(200);
    const after = await test.admin.get('/api/v1/users');
    expect(after.status).toBe(200);
    expect(after.body.items.length).toBeGreaterThan(0);
  });
});

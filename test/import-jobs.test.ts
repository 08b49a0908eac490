import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawBody, type ApiClient } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';
import { linkTokenIn, MailSink } from './support/mail-sink.ts';
import { IMPORT_LEASE_MS } from '../src/domain/users/import-job-service.ts';

/** CSV import as a job (issue 10): POST /users/imports, GET its progress and rows. */
const csv = (...lines: string[]) => new RawBody(lines.join('\n') + '\n', 'text/csv');
const startImport = (client: ApiClient, body: RawBody, query = '') => client.post(`/api/v1/users/imports${query}`, body);

/** Waits for the job's end by asking the server (the runner's own promise), then reads the job and all its rows. */
async function finished(test: TestServer, client: ApiClient, id: string) {
  await test.server.services.importJobs.idle();
  const job = await client.get(`/api/v1/users/imports/${id}`);
  const rows: any[] = [];
  for (let after: number | null | undefined = undefined; after !== null; ) {
    const page: { status: number; body: any } = await client.get(`/api/v1/users/imports/${id}/rows?limit=1000${after === undefined ? '' : `&afterLine=${after}`}`);
    expect(page.status).toBe(200);
    rows.push(...page.body.rows);
    after = page.body.nextAfterLine;
  }
  return { job: job.body, rows };
}

async function countAudit(client: ApiClient, action: string): Promise<number> {
  let count = 0;
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page: { body: any } = await client.get(`/api/v1/audit?category=users&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    count += page.body.items.filter((event: { action: string }) => event.action === action).length;
    cursor = page.body.nextCursor ?? null;
  }
  return count;
}

describe.each(engines)('CSV import jobs on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'import-other', name: 'Other' })).status).toBe(201);
  });
  afterAll(async () => {
    await test.close();
  });

  it('imports 3,000 password-less rows in one request, with no argon2 hash per row, one user.created per user and the job summary', async () => {
    const label = `bulk${engine}`;
    const lines = Array.from({ length: 3000 }, (_, index) => `${label}.${index}@example.test,Bulk Person ${index}`);
    const hashedBefore = test.server.services.importJobs.pool.hashed;
    const auditBefore = await countAudit(test.admin, 'user.created');
    const started = await startImport(test.admin, csv('email,displayName', ...lines));
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ status: 'queued', counts: { total: 3000 } });

    const { job, rows } = await finished(test, test.admin, started.body.id);
    expect(job).toMatchObject({ status: 'done', applied: true, counts: { total: 3000, done: 3000, created: 3000, failed: 0, pending: 0 }, passwordsHashed: 0 });
    expect(test.server.services.importJobs.pool.hashed).toBe(hashedBefore);
    expect(rows).toHaveLength(3000);
    expect(rows[2999]).toMatchObject({ line: 3001, status: 'created', user: { displayName: 'Bulk Person 2999', role: 'Viewer' } });
    // No SMTP: a one-time password each, shown once to the admin who started the job, and it signs in.
    expect(rows.every((row) => typeof row.oneTimePassword === 'string')).toBe(true);
    const signedIn = await test.login(rows[0].email, rows[0].oneTimePassword);
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.response.body.mustChangePassword).toBe(true);
    expect((await test.login(rows[1].email, 'not the password')).response.status).toBe(401);
    const again = await test.admin.get(`/api/v1/users/imports/${started.body.id}?rows=true&limit=1`);
    expect(again.body.rows[0]).toMatchObject({ oneTimePasswordUnavailable: 'shown' });
    expect(again.body.rows[0].oneTimePassword).toBeUndefined();

    expect((await countAudit(test.admin, 'user.created')) - auditBefore).toBe(3000);
  });

  it('hashes the passwords of a mixed file on the worker pool and creates each row once', async () => {
    const [withPassword, other, without] = [uniqueEmail('pw'), uniqueEmail('pw'), uniqueEmail('nopw')];
    const hashedBefore = test.server.services.importJobs.pool.hashed;
    const started = await startImport(
      test.admin,
      csv('email,displayName,role,tenant,password', `${withPassword},With Password,Operator,,"a perfectly fine passphrase"`, `${other},Other,,,"another fine passphrase"`, `${without},Without,,,`),
    );
    expect(started.status).toBe(202);
    const { job, rows } = await finished(test, test.admin, started.body.id);
    expect(job).toMatchObject({ status: 'done', counts: { created: 3 }, passwordsHashed: 2 });
    expect(test.server.services.importJobs.pool.hashed - hashedBefore).toBe(2);
    expect(rows[0]).toMatchObject({ status: 'created', user: { role: 'Operator' } });
    expect(rows[0].oneTimePassword).toBeUndefined();
    expect((await test.login(withPassword, 'a perfectly fine passphrase')).response.status).toBe(200);
  });

  it('costs a constant number of statements per batch of rows, not statements per row', async () => {
    const batch = test.server.services.context.store.importJobs.batchRows;
    const statementsFor = async (rows: number) => {
      const label = `stmt${rows}${engine}`;
      const before = test.server.database.statements.count;
      const started = await startImport(test.admin, csv('email,displayName', ...Array.from({ length: rows }, (_, index) => `${label}.${index}@example.test,S ${index}`)));
      await test.server.services.importJobs.idle();
      expect((await test.admin.get(`/api/v1/users/imports/${started.body.id}`)).body.counts.created).toBe(rows);
      return test.server.database.statements.count - before;
    };
    // Time passes as the rows go in (each check asks for the role in force at its own instant):
    // a batch still reads the actor's role once, not once a row.
    test.clock.tickEachReading(1);
    try {
      const one = await statementsFor(batch);
      const three = await statementsFor(3 * batch);
      // Three batches cost about three times one (plus the job's own statements), far below one a row.
      expect(three).toBeLessThan(3 * one + 10);
      expect(three).toBeLessThan((3 * batch) / 5);
    } finally {
      test.clock.tickEachReading(0);
    }
  });

  it('a dry run checks every row and writes nobody', async () => {
    const email = uniqueEmail('dry');
    const usersBefore = await countAudit(test.admin, 'user.created');
    const started = await startImport(test.admin, csv('email,displayName', `${email},Dry`, 'not-an-email,Broken', `${email},Twice`), '?dryRun=true');
    const { job, rows } = await finished(test, test.admin, started.body.id);
    expect(job).toMatchObject({ status: 'done', dryRun: true, applied: false, counts: { total: 3, valid: 1, failed: 2, created: 0 } });
    expect(rows.map((row) => row.error?.code ?? row.status)).toEqual(['valid', 'EMAIL_INVALID', 'EMAIL_REPEATED']);
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items).toHaveLength(0);
    expect(await countAudit(test.admin, 'user.created')).toBe(usersBefore);
  });

  it('all or nothing: one rejected row and nobody is created; a clean file goes in whole', async () => {
    const [first, second] = [uniqueEmail('strict'), uniqueEmail('strict')];
    const refused = await startImport(test.admin, csv('email,displayName', `${first},First`, 'broken,Broken'), '?allOrNothing=true');
    expect((await finished(test, test.admin, refused.body.id)).job).toMatchObject({ status: 'done', applied: false, counts: { created: 0, failed: 1 } });
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(first)}`)).body.items).toHaveLength(0);
    const clean = await startImport(test.admin, csv('email,displayName', `${first},First`, `${second},Second`), '?allOrNothing=true');
    expect((await finished(test, test.admin, clean.body.id)).job).toMatchObject({ status: 'done', applied: true, counts: { created: 2, failed: 0, done: 2 } });
  });

  it('importing the same file again creates nothing and reports every row as taken', async () => {
    const lines = [uniqueEmail('again'), uniqueEmail('again')].map((email, index) => `${email},Again ${index}`);
    const first = await startImport(test.admin, csv('email,displayName', ...lines));
    expect((await finished(test, test.admin, first.body.id)).job.counts.created).toBe(2);
    const second = await startImport(test.admin, csv('email,displayName', ...lines));
    const { job, rows } = await finished(test, test.admin, second.body.id);
    expect(job.counts).toMatchObject({ created: 0, failed: 2 });
    expect(rows.map((row) => row.error.code)).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN']);
  });

  it('refuses a file that is not CSV as a whole, naming the line, and leaves no job', async () => {
    const refused = await startImport(test.admin, csv('email,displayName,colour', 'a@example.test,A,blue'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('CSV_UNKNOWN_COLUMNS');
    const notUtf8 = await test.admin.request('POST', '/api/v1/users/imports', new RawBody('', 'text/csv'));
    expect(notUtf8.status).toBe(400);
  });

  it('stops a job whose admin lost ManageUsers before it ran, creating nobody', async () => {
    expect((await test.admin.post('/api/v1/roles', { name: 'importer', permissions: ['ViewUsers', 'ManageUsers'] })).status).toBe(201);
    const importer = await createSignedInUser(test, { role: 'importer' });
    const email = uniqueEmail('late');
    await test.server.services.importJobs.pauseForTests(true);
    const started = await startImport(importer.client, csv('email,displayName', `${email},Too Late`));
    expect(started.status).toBe(202);
    expect((await test.admin.put(`/api/v1/users/${importer.id}/role`, { role: 'Viewer' })).status).toBe(200);
    await test.server.services.importJobs.pauseForTests(false);
    const { job } = await finished(test, test.admin, started.body.id);
    expect(job).toMatchObject({ status: 'failed', counts: { created: 0 }, error: { code: 'PERMISSION_MISSING' } });
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items).toHaveLength(0);
  });

  it("another tenant's job is not found; without ManageUsers the request is refused naming it", async () => {
    const started = await startImport(test.admin, csv('email,displayName', `${uniqueEmail('tenant')},Tenant`));
    await finished(test, test.admin, started.body.id);
    const other = test.admin.inTenant('import-other');
    expect((await other.get(`/api/v1/users/imports/${started.body.id}`)).status).toBe(404);
    expect((await other.get(`/api/v1/users/imports/${started.body.id}/rows`)).status).toBe(404);

    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    const refused = await startImport(viewer.client, csv('email,displayName', `${uniqueEmail('viewer')},Nope`));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain('ManageUsers');
    expect((await viewer.client.get(`/api/v1/users/imports/${started.body.id}`)).status).toBe(403);
  });
});

describe.each(engines)('CSV import jobs with SMTP on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  beforeAll(async () => {
    await sink.start();
    test = await startTestServer(engine, { environment: sink.environment() });
  });
  afterAll(async () => {
    await test.close();
    await sink.stop();
  });

  it('invites the password-less rows (a link stored as SHA-256, no password hash at all) and sends the others a notice', async () => {
    const [invited, given] = [uniqueEmail('invited'), uniqueEmail('given')];
    const started = await startImport(test.admin, csv('email,displayName,role,tenant,password', `${invited},Invited,,,`, `${given},Given,,,"a perfectly fine passphrase"`));
    const { job, rows } = await finished(test, test.admin, started.body.id);
    expect(job).toMatchObject({ status: 'done', counts: { created: 2 }, passwordsHashed: 1 });
    expect(rows[0]).toMatchObject({ status: 'created', invitation: { delivery: 'queued' } });
    expect(rows[0].oneTimePassword).toBeUndefined();
    expect(rows[1]).toMatchObject({ status: 'created', notice: { delivery: 'queued' } });
    const stored = await test.server.services.context.store.users.getByEmail(invited);
    expect(stored?.passwordHash).toBe('!no-password');

    await expect.poll(() => sink.messages.some((message) => message.to.includes(invited)), { timeout: 10_000 }).toBe(true);
    const token = linkTokenIn(sink.messages.find((message) => message.to.includes(invited))!);
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'the invited one chose this' })).status).toBe(200);
    expect((await test.login(invited, 'the invited one chose this')).response.status).toBe(200);
  });
});

describe.each(engines)('an import job interrupted on %s', (engine) => {
  it('is taken up where it stopped when the server starts again: every row created once, the rest reported', async () => {
    const database = await createTestDatabase(engine);
    try {
      const first = await startTestServer(engine, { database });
      const label = `resume${engine}${process.pid}`;
      const batch = first.server.services.context.store.importJobs.batchRows;
      const lines = Array.from({ length: 2.5 * batch }, (_, index) => `${label}.${index}@example.test,Resumed ${index}`);
      // Two batches go in, then the runner stops as if the process had been killed.
      await first.server.services.importJobs.pauseForTests(true);
      const started = await startImport(first.admin, csv('email,displayName', ...lines, `${label}.0@example.test,Repeated`));
      expect(started.status).toBe(202);
      await first.server.services.importJobs.pauseForTests(false, 2);
      await first.server.services.importJobs.idle();
      const halfway = await first.admin.get(`/api/v1/users/imports/${started.body.id}`);
      expect(halfway.body).toMatchObject({ status: 'running', counts: { total: 2.5 * batch + 1, done: 2 * batch, created: 2 * batch, pending: 0.5 * batch + 1 } });
      await first.close();

      const second = await startTestServer(engine, { database });
      const admin = second.admin;
      const { job, rows } = await finished(second, admin, started.body.id);
      expect(job).toMatchObject({ status: 'done', resumed: 1, counts: { total: 2.5 * batch + 1, done: 2.5 * batch + 1, created: 2.5 * batch, failed: 1 } });
      expect(rows.at(-1)).toMatchObject({ line: 2.5 * batch + 2, status: 'rejected', error: { code: 'EMAIL_REPEATED' } });
      expect(new Set(rows.filter((row) => row.status === 'created').map((row) => row.user.id)).size).toBe(2.5 * batch);
      const found = await admin.get(`/api/v1/users?search=${encodeURIComponent(label)}&limit=200`);
      expect(found.body.items.length).toBe(200);
      await second.close();
    } finally {
      await database.drop();
    }
  });
});

describe('an import job on two nodes sharing PostgreSQL', () => {
  it('is run by one node at a time, and taken up by the other when its node dies: every row created once', async () => {
    const database = await createTestDatabase('postgres');
    let nodeA: TestServer | undefined;
    let nodeB: TestServer | undefined;
    try {
      nodeA = await startTestServer('postgres', { database });
      const label = `lease${process.pid}`;
      const batch = nodeA.server.services.context.store.importJobs.batchRows;
      const lines = Array.from({ length: 3 * batch }, (_, index) => `${label}.${index}@example.test,Leased ${index}`);
      // Node A runs two batches, then stops taking batches as a killed process would, its lease still on the job.
      await nodeA.server.services.importJobs.pauseForTests(true);
      const started = await startImport(nodeA.admin, csv('email,displayName', ...lines));
      expect(started.status).toBe(202);
      await nodeA.server.services.importJobs.pauseForTests(false, 2);
      await nodeA.server.services.importJobs.idle();

      // Node B starts meanwhile: A's lease is live, so B leaves the job alone.
      nodeB = await startTestServer('postgres', { database });
      await nodeB.server.services.importJobs.adoptAbandoned();
      await nodeB.server.services.importJobs.idle();
      const held = await nodeB.admin.get(`/api/v1/users/imports/${started.body.id}`);
      expect(held.body).toMatchObject({ status: 'running', resumed: 0, counts: { done: 2 * batch, created: 2 * batch, pending: batch } });

      // A's lease runs out (A is taken for dead): B takes the job up and finishes it.
      nodeB.clock.advance(IMPORT_LEASE_MS + 1_000);
      await nodeB.server.services.importJobs.adoptAbandoned();
      const { job, rows } = await finished(nodeB, nodeB.admin, started.body.id);
      expect(job).toMatchObject({ status: 'done', resumed: 1, counts: { total: 3 * batch, done: 3 * batch, created: 3 * batch, failed: 0 } });
      expect(new Set(rows.map((row) => row.user.id)).size).toBe(3 * batch);

      // A comes back to life: the job is no longer its own, and it creates nobody.
      await nodeA.server.services.importJobs.pauseForTests(false);
      await nodeA.server.services.importJobs.idle();
      const after = await nodeA.admin.get(`/api/v1/users/imports/${started.body.id}`);
      expect(after.body).toMatchObject({ status: 'done', resumed: 1, counts: { done: 3 * batch, created: 3 * batch } });
      const found = await nodeA.admin.get(`/api/v1/users?search=${encodeURIComponent(label)}&limit=200`);
      expect(found.status).toBe(200);
      expect(await countAudit(nodeA.admin, 'user.created')).toBeGreaterThanOrEqual(3 * batch);
    } finally {
      await nodeA?.close();
      await nodeB?.close();
      await database.drop();
    }
  });
});

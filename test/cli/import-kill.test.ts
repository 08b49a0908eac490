import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/harness.ts';
import { node24, sophonBin } from './run-cli.ts';

/**
 * The import job survives kill -9 (issue 10): a real `sophon serve` is killed with SIGKILL while
 * a job runs, started again on the same database, and the job's report is exact: every row
 * created once, the user count what the file says, whether the kill came mid-job or not.
 */

interface Serve {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout(): string;
  exited: Promise<unknown>;
}

async function serve(database: TestDatabase): Promise<Serve> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SOPHON_') && !name.toLowerCase().startsWith('sophon__')));
  const child = spawn(node24, [sophonBin, 'serve'], {
    cwd: database.dataDir,
    env: {
      ...inherited,
      SOPHON_HOST: '127.0.0.1',
      SOPHON_PORT: '0',
      SOPHON_DATA_DIR: database.dataDir,
      Sophon__Logging__Level: 'warn',
      ...(database.databaseUrl ? { SOPHON_DATABASE_URL: database.databaseUrl } : {}),
    },
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sophon serve did not start:\n${stdout}`)), 20_000);
    child.stdout.on('data', () => {
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
  });
  return { child, url, stdout: () => stdout, exited };
}

async function call(url: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url + path, { method, headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined, headers: response.headers }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The bootstrap Admin's one-time password changed, and an API token for them. */
async function adminToken(running: Serve): Promise<string> {
  const oneTime = /one-time password: (\S+)/.exec(running.stdout())![1]!;
  const json = { 'content-type': 'application/json' };
  const login = await call(running.url, 'POST', '/api/v1/auth/login', json, JSON.stringify({ email: 'admin@sophon.local', password: oneTime }));
  const session = { ...json, cookie: (login.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; '), 'x-csrf-token': login.body.csrfToken };
  expect((await call(running.url, 'POST', '/api/v1/auth/password', session, JSON.stringify({ currentPassword: oneTime, newPassword: 'a long admin password' }))).status).toBe(200);
  const token = await call(running.url, 'POST', '/api/v1/me/tokens', session, JSON.stringify({ name: 'kill test', expiresIn: '1d' }));
  return token.body.secret;
}

describe.each(engines)('an import job and kill -9 on %s', (engine) => {
  let database: TestDatabase | undefined;
  let running: Serve | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await running?.exited;
    await database?.drop();
  });

  it('killed mid-import, the server takes the job up again at start; every row is created exactly once', async () => {
    database = await createTestDatabase(engine);
    running = await serve(database);
    const token = await adminToken(running);
    const auth = { authorization: `Bearer ${token}` };
    const rows = 6000;
    const file = `email,displayName\n${Array.from({ length: rows }, (_, index) => `killed.${index}@example.test,Killed ${index}`).join('\n')}\n`;
    const started = await call(running.url, 'POST', '/api/v1/users/imports', { ...auth, 'content-type': 'text/csv' }, file);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const path = `/api/v1/users/imports/${started.body.id}`;

    // Killed as soon as one batch is in (or later, if the job is quicker than the poll).
    await expect.poll(async () => (await call(running!.url, 'GET', path, auth)).body.counts.done, { timeout: 30_000, interval: 10 }).toBeGreaterThan(0);
    running.child.kill('SIGKILL');
    await running.exited;

    running = await serve(database);
    await expect.poll(async () => (await call(running!.url, 'GET', path, auth)).body.status, { timeout: 60_000, interval: 100 }).toBe('done');
    const job = (await call(running.url, 'GET', path, auth)).body;
    expect(job.counts).toMatchObject({ total: rows, done: rows, created: rows, failed: 0, pending: 0 });

    const created = new Set<string>();
    for (let after: number | null = 0; after !== null; ) {
      const page = await call(running.url, 'GET', `${path}/rows?limit=1000&afterLine=${after}`, auth);
      for (const row of page.body.rows) {
        expect(row.status).toBe('created');
        created.add(row.user.id);
      }
      after = page.body.nextAfterLine;
    }
    expect(created.size).toBe(rows);
    // The users as the list shows them: each line once, nobody twice.
    let listed = 0;
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = await call(running.url, 'GET', `/api/v1/users?search=killed.&limit=200${cursor ? `&cursor=${cursor}` : ''}`, auth);
      listed += page.body.items.length;
      cursor = page.body.nextCursor;
    }
    expect(listed).toBe(rows);
  });
});

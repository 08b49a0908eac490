import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/harness.ts';
import { node24, sophonBin } from './run-cli.ts';

/**
 * `sophon serve` as operators run it: a real process, its request logs on stdout, and how it
 * stops on SIGTERM (what Kubernetes, systemd and Docker send): no new connections, the
 * request in flight answered, the database closed, exit 0.
 */

interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has a line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(database: TestDatabase, environment: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SOPHON_') && !name.toLowerCase().startsWith('sophon__')));
  return spawn(node24, [sophonBin, 'serve'], {
    cwd: database.dataDir,
    env: {
      ...inherited,
      SOPHON_HOST: '127.0.0.1',
      SOPHON_PORT: '0',
      SOPHON_DATA_DIR: database.dataDir,
      ...(database.databaseUrl ? { SOPHON_DATABASE_URL: database.databaseUrl } : {}),
      ...environment,
    },
  });
}

async function startServe(database: TestDatabase): Promise<ServeProcess> {
  const child = serve(database);
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const line = stdout.split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    check();
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      check();
    });
  const listening = await waitFor(/^Sophon Identity listening on /);
  return { child, url: /listening on (http:\/\/\S+)/.exec(listening)![1]!, stdout: () => stdout, stderr: () => stderr, waitFor, exited };
}

/** Whether a new TCP connection to the port is accepted. */
function accepts(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.each(engines)('sophon serve on %s', (engine) => {
  let database: TestDatabase | undefined;
  let running: ServeProcess | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await running?.exited;
    await database?.drop();
    running = undefined;
    database = undefined;
  });

  it('logs requests as JSON lines on stdout, and on SIGTERM answers the request in flight, closes the port and exits 0', async () => {
    database = await createTestDatabase(engine);
    running = await startServe(database);
    const { url } = running;

    // Request logs are on by default (info): JSON lines, path without query, the route matched.
    expect((await fetch(`${url}/readyz?probe=kubelet`)).status).toBe(200);
    const logged = JSON.parse(await running.waitFor(/"url":"\/readyz".*"msg":"incoming request"/)) as Record<string, any>;
    expect(logged).toMatchObject({ level: 30, req: { method: 'GET', url: '/readyz', route: '/readyz' } });
    expect(JSON.parse(await running.waitFor(/"msg":"request completed"/))).toMatchObject({ level: 30, res: { statusCode: 200 }, reqId: logged.reqId });

    // A sign-in whose body is still arriving when SIGTERM comes.
    const body = JSON.stringify({ email: 'nobody@example.test', password: 'a password still in flight' });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, text }));
      });
      request.on('error', reject);
      request.write(body.slice(0, 10));
      running!.waitFor(/"url":"\/api\/v1\/auth\/login".*"msg":"incoming request"/).then(async () => {
        running!.child.kill('SIGTERM');
        await running!.waitFor(/SIGTERM: no new connections/);
        // Closed to new connections while the request in flight is still being answered.
        await expect.poll(() => accepts(url), { timeout: 2000, interval: 20 }).toBe(false);
        expect(running!.child.exitCode).toBeNull();
        request.end(body.slice(10));
      }, reject);
    });
    const response = await answered;
    expect(response.status, response.text).toBe(401);
    expect(JSON.parse(response.text).error.code).toBe('INVALID_CREDENTIALS');

    const started = Date.now();
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await accepts(url)).toBe(false);
    expect(running.stderr()).toBe('');
    // The password in flight was never logged.
    expect(running.stdout()).not.toContain('a password still in flight');
  });
});

describe('sophon serve with a bad Sophon:Logging:Level', () => {
  it('refuses to start, naming the key and the levels (exit 2)', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const child = serve(database, { Sophon__Logging__Level: 'loud' });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
      expect(code).toBe(2);
      expect(stderr).toContain('Sophon:Logging:Level: must be one of trace, debug, info, warn, error, fatal, silent');
    } finally {
      await database.drop();
    }
  });
});

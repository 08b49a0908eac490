/**
 * `npm run bench`: what authentication and authorization cost per request.
 *
 * For each engine (SQLite, then PostgreSQL in a throwaway database that is dropped after),
 * the real server is started (startServer: migrations, bootstrap, the production wiring of
 * the services). A second Fastify app is built over the same services with the real route
 * table plus three clones of one cheap read route, GET /api/v1/permissions:
 *
 *   GET /bench/public         declared 'public': no credential is read
 *   GET /bench/authenticated  declared 'authenticated': the API token is resolved to an active user
 *   GET /bench/authorized     declared { permission: 'ViewUsers' }: token → user → tenant → role →
 *                             permission, exactly as every protected route does
 *
 * The handler is the same, so the difference is authentication + authorization; the middle
 * case splits the two. The headline figure is authorized/public. The bootstrap Admin changes
 * the one-time password and creates an API token over the API; then a worker thread drives
 * each route over keep-alive loopback connections for a fixed time, the cases interleaved in
 * rounds so that drift hits all alike, and each case's rate is printed as a ratio to public.
 * Absolute figures depend on the machine and on what else runs on it (the load average is
 * printed); compare ratios taken in the same run. Beside them: the CPU time the server's
 * thread spent per request (and, when PostgreSQL runs on this machine, that of its backends),
 * which varies less with other load than the rate, and the SQL statements per request (the
 * database handle counts them, transaction control included), which don't vary at all.
 *
 * Options (flags or environment): --duration / BENCH_DURATION seconds per case (5),
 * --warmup / BENCH_WARMUP seconds per case (1), --connections / BENCH_CONNECTIONS (16,64: each count in turn),
 * --rounds / BENCH_ROUNDS (2), --engines / BENCH_ENGINES (sqlite,postgres), --sql / BENCH_SQL=1
 * to list the statements of one request of each case. PostgreSQL is reached at
 * SOPHON_BENCH_POSTGRES_URL, else SOPHON_TEST_POSTGRES_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres; the user must be allowed to create databases.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadAppSettings, type ServerConfig } from '../src/config/config.ts';
import { buildApp } from '../src/http/app.ts';
import type { AnyRoute } from '../src/http/route.ts';
import { apiRoutes } from '../src/http/routes/index.ts';
import { startServer, type RunningServer } from '../src/http/server.ts';
import type { Engine } from '../src/storage/open-database.ts';
import type { LoadOptions, LoadResult } from './load-worker.ts';

const engines: readonly Engine[] = ['sqlite', 'postgres'];
const ADMIN_EMAIL = 'bench-admin@sophon.local';
const ADMIN_PASSWORD = 'a benchmark admin password';

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  connections: number[];
  rounds: number;
  engines: Engine[];
  listSql: boolean;
  postgresAdminUrl: string;
}

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      engines: { type: 'string' },
      sql: { type: 'boolean' },
    },
  });
  const number = (flag: string | undefined, variable: string, fallback: number, min: number) => {
    const text = flag ?? process.env[variable];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`${variable} / --${variable.slice(6).toLowerCase()}: "${text}" must be a number of at least ${min}`);
    return value;
  };
  const engineList = (values.engines ?? process.env.BENCH_ENGINES ?? engines.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of engineList) {
    if (!engines.includes(name as Engine)) throw new Error(`unknown engine "${name}": use ${engines.join(', ')}`);
  }
  return {
    durationMs: number(values.duration, 'BENCH_DURATION', 5, 0.1) * 1000,
    warmupMs: number(values.warmup, 'BENCH_WARMUP', 1, 0) * 1000,
    connections: (values.connections ?? process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map((part) => {
      const count = Number(part.trim());
      if (!Number.isInteger(count) || count < 1) throw new Error(`--connections must be whole numbers of at least 1, separated by commas (got "${part}")`);
      return count;
    }),
    rounds: Math.round(number(values.rounds, 'BENCH_ROUNDS', 2, 1)),
    engines: engineList as Engine[],
    listSql: values.sql ?? ['1', 'true'].includes(process.env.BENCH_SQL ?? ''),
    postgresAdminUrl: process.env.SOPHON_BENCH_POSTGRES_URL ?? process.env.SOPHON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

/** Clones of one cheap read route that differ only in what they declare. */
function benchRoutes(): AnyRoute[] {
  const original = apiRoutes.find((route) => route.method === 'GET' && route.url === '/api/v1/permissions');
  if (!original) throw new Error('GET /api/v1/permissions is no longer in the route table: pick another cheap read route for the benchmark');
  return [
    { ...original, url: '/bench/public', summary: 'benchmark: the permission catalogue, public', access: 'public' },
    { ...original, url: '/bench/authenticated', summary: 'benchmark: the permission catalogue, any signed-in caller', access: 'authenticated' },
    { ...original, url: '/bench/authorized', summary: 'benchmark: the permission catalogue, behind ViewUsers', access: { permission: 'ViewUsers' } },
  ];
}

/** A database created for this run and dropped after it. */
async function createPostgresDatabase(adminUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `sophon_bench_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await admin(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`cannot create a PostgreSQL database at ${adminUrl.replace(/\/\/[^@/]*@/, '//')} (${(error as Error).message}); start PostgreSQL or set SOPHON_BENCH_POSTGRES_URL, or run with --engines sqlite`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * The CPU time, in microseconds, that PostgreSQL's backends serving `database` have used,
 * read from /proc: known only when PostgreSQL runs on this machine (else undefined). The
 * server's connections are looked up on every reading, as the pool opens them when it needs.
 */
function postgresCpu(adminUrl: string, database: string): () => Promise<number | undefined> {
  let ticksPerSecond = 100;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // not Linux-like: /proc won't be there either
  }
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
      let ticks = 0;
      for (const { pid } of rows) {
        // Fields 14 and 15 (user and system time), counted after the command name, which may hold spaces.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      }
      return (ticks / ticksPerSecond) * 1e6;
    } catch {
      return undefined;
    } finally {
      await client.end();
    }
  };
}

async function call(url: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  return { response, answer };
}

/** The bootstrap Admin signs in with the one-time password, changes it, and creates an API token. */
async function adminToken(server: RunningServer): Promise<{ token: string; cookie: string }> {
  const oneTimePassword = server.bootstrap.admin?.oneTimePassword;
  if (!oneTimePassword) throw new Error('the benchmark database was not empty: no bootstrap password');
  const login = await call(`${server.url}/api/v1/auth/login`, 'POST', { email: ADMIN_EMAIL, password: oneTimePassword });
  if (login.response.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.answer)}`);
  const cookie = login.response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const session = { cookie, 'x-csrf-token': String(login.answer.csrfToken) };
  const changed = await call(`${server.url}/api/v1/auth/password`, 'POST', { currentPassword: oneTimePassword, newPassword: ADMIN_PASSWORD }, session);
  if (changed.response.status !== 200) throw new Error(`password change failed: ${JSON.stringify(changed.answer)}`);
  const token = await call(`${server.url}/api/v1/me/tokens`, 'POST', { name: 'benchmark', expiresIn: '1d' }, session);
  if (token.response.status !== 201) throw new Error(`token creation failed: ${JSON.stringify(token.answer)}`);
  return { token: String(token.answer.secret), cookie };
}

function load(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: options });
    let result: LoadResult | undefined;
    worker.once('message', (message: LoadResult) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`the load worker exited with code ${code} and no result`))));
  });
}

type CaseName = 'public' | 'authenticated' | 'authorized' | 'session' | 'check';

interface CaseResult {
  engine: Engine;
  name: CaseName;
  connections: number;
  requests: number;
  /** Requests per second in each round, for the ratios per round. */
  roundRates: number[];
  seconds: number;
  latencies: Float64Array;
  /** Statements sent during the measured rounds. */
  statements: number;
  /** CPU time of the server's thread (this one; the load runs in a worker) during them, in microseconds. */
  serverCpuMicros: number;
  /** CPU time of PostgreSQL's backends during them, when it can be read (see postgresCpu). */
  postgresCpuMicros: number | undefined;
  /** Those of one request, sent on its own before the load. */
  oneRequest: string[];
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function benchEngine(engine: Engine, options: BenchOptions, cleanups: (() => Promise<void>)[]): Promise<CaseResult[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sophon-bench-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const database = engine === 'postgres' ? await createPostgresDatabase(options.postgresAdminUrl) : undefined;
  if (database) cleanups.push(() => database.drop());

  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl: database?.url,
    bootstrapAdminEmail: ADMIN_EMAIL,
    // Defaults only: neither this shell's Sophon__* variables nor an appsettings.json apply.
    settings: loadAppSettings({}, dataDir),
  };
  const server = await startServer(config, { print: () => undefined });
  cleanups.push(() => server.close());
  const { token, cookie } = await adminToken(server);

  const app: FastifyInstance = await buildApp({ services: server.services, routes: [...apiRoutes, ...benchRoutes()] });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());

  const cases: { name: CaseName; url: string; headers: Record<string, string>; method?: 'POST'; body?: unknown }[] = [
    { name: 'public', url: `${base}/bench/public`, headers: {} },
    { name: 'authenticated', url: `${base}/bench/authenticated`, headers: { authorization: `Bearer ${token}` } },
    { name: 'authorized', url: `${base}/bench/authorized`, headers: { authorization: `Bearer ${token}` } },
    { name: 'session', url: `${base}/bench/authorized`, headers: { cookie } },
    { name: 'check', url: `${base}/api/v1/authz/check`, headers: { authorization: `Bearer ${token}` }, method: 'POST', body: { permission: 'ViewUsers', tenant: 'default' } },
  ];
  // Check each case answers 200 (the check: allowed), and that the authorized clone really refuses without the token.
  for (const { url, headers, method, body } of cases) {
    const response = await fetch(url, { headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (response.status !== 200 || (body !== undefined && !text.includes('"allowed":true'))) throw new Error(`${url} answered ${response.status}: ${text}`);
  }
  const anonymous = await fetch(`${base}/bench/authorized`);
  if (anonymous.status !== 401) throw new Error(`/bench/authorized without a token answered ${anonymous.status}, not 401`);
  // The statements of one request of each case, alone on the server.
  const { statements } = server.database;
  const oneRequest = new Map<CaseResult['name'], string[]>();
  for (const { name, url, headers, method, body } of cases) {
    const sent: string[] = [];
    const stop = statements.listen((sql) => sent.push(sql));
    await (await fetch(url, { headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, method, body: body === undefined ? undefined : JSON.stringify(body) })).text();
    stop();
    oneRequest.set(name, sent);
  }

  const results: CaseResult[] = [];
  for (const connections of options.connections) {
    for (const { url, headers, method, body } of cases) {
      if (options.warmupMs > 0) await load({ url, headers, method, body, connections, durationMs: options.warmupMs });
    }
    const totals = new Map(cases.map(({ name }) => [name, { requests: 0, seconds: 0, statements: 0, serverCpuMicros: 0, postgresCpuMicros: 0 as number | undefined, latencies: [] as Float64Array[], roundRates: [] as number[] }]));
    const readPostgresCpu = database ? postgresCpu(options.postgresAdminUrl, database.name) : async () => undefined;
    for (let round = 0; round < options.rounds; round++) {
      for (const { name, url, headers, method, body } of cases) {
        const statementsBefore = statements.count;
        const postgresCpuBefore = await readPostgresCpu();
        const cpuBefore = process.threadCpuUsage();
        const result = await load({ url, headers, method, body, connections, durationMs: options.durationMs / options.rounds });
        const failed = Object.entries(result.failures);
        if (failed.length > 0) throw new Error(`${engine} ${name}: failed requests ${JSON.stringify(result.failures)}`);
        const total = totals.get(name)!;
        total.requests += result.requests;
        total.seconds += result.elapsedMs / 1000;
        total.roundRates.push(result.requests / (result.elapsedMs / 1000));
        total.statements += statements.count - statementsBefore;
        const cpu = process.threadCpuUsage(cpuBefore);
        total.serverCpuMicros += cpu.user + cpu.system;
        const postgresCpuAfter = await readPostgresCpu();
        total.postgresCpuMicros =
          total.postgresCpuMicros === undefined || postgresCpuBefore === undefined || postgresCpuAfter === undefined
            ? undefined
            : total.postgresCpuMicros + postgresCpuAfter - postgresCpuBefore;
        total.latencies.push(result.latencies);
      }
    }
    for (const { name } of cases) {
      const total = totals.get(name)!;
      const latencies = new Float64Array(total.latencies.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of total.latencies) {
        latencies.set(part, offset);
        offset += part.length;
      }
      results.push({
        engine,
        name,
        connections,
        requests: total.requests,
        roundRates: total.roundRates,
        seconds: total.seconds,
        latencies: latencies.sort(),
        statements: total.statements,
        serverCpuMicros: total.serverCpuMicros,
        postgresCpuMicros: database ? total.postgresCpuMicros : undefined,
        oneRequest: oneRequest.get(name) ?? [],
      });
    }
  }
  return results;
}

/** min/median/max of the per-round ratios of a case's rate to the public route's in the same round. */
function roundRatios(result: CaseResult, publicCase: CaseResult): string {
  const ratios = result.roundRates.map((rate, round) => rate / publicCase.roundRates[round]!).sort((a, b) => a - b);
  const median = ratios.length % 2 === 1 ? ratios[(ratios.length - 1) / 2]! : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
  return `${ratios[0]!.toFixed(2)} / ${median.toFixed(2)} / ${ratios.at(-1)!.toFixed(2)}`;
}

function printTable(results: CaseResult[]): void {
  const rows = [['engine', 'conns', 'case', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'p99 / public p99', 'ratio to public min/med/max', 'server CPU µs/request', 'PostgreSQL CPU µs/request', 'SQL/request']];
  for (const result of results) {
    const rate = result.requests / result.seconds;
    const publicCase = results.find((other) => other.engine === result.engine && other.connections === result.connections && other.name === 'public');
    const ratio = result.name !== 'public' && publicCase ? roundRatios(result, publicCase) : '';
    const p99 = percentile(result.latencies, 0.99);
    rows.push([
      result.engine,
      String(result.connections),
      result.name,
      String(result.requests),
      rate.toFixed(0),
      percentile(result.latencies, 0.5).toFixed(2),
      p99.toFixed(2),
      result.name !== 'public' && publicCase ? (p99 / percentile(publicCase.latencies, 0.99)).toFixed(2) : '',
      ratio,
      (result.serverCpuMicros / result.requests).toFixed(0),
      result.postgresCpuMicros === undefined ? '' : (result.postgresCpuMicros / result.requests).toFixed(0),
      // The average over the load, which should be the count of one request alone.
      `${(result.statements / result.requests).toFixed(2)} (${result.oneRequest.length})`,
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  console.log('server CPU: the CPU time of the server\'s thread (user + system) over the requests it answered; less sensitive to other load than req/s;');
  console.log('PostgreSQL CPU: that of its backends serving the benchmark database, when PostgreSQL runs on this machine.');
  console.log('SQL/request: statements per request under load (those of one request alone).');
}

function printStatements(results: CaseResult[]): void {
  for (const result of results.filter((result) => result.connections === results[0]?.connections)) {
    console.log(`\n${result.engine} ${result.name}: ${result.oneRequest.length} statement(s) in one request`);
    for (const sql of result.oneRequest) console.log(`  ${sql.length > 150 ? `${sql.slice(0, 149)}…` : sql}`);
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = readOptions();
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  console.log(
    `Sophon Identity benchmark: Node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${loadavg()[0]?.toFixed(2)} at start; ${options.connections.join(' and ')} keep-alive connections, ` +
      `${options.durationMs / 1000} s per case in ${options.rounds} round(s) after ${options.warmupMs / 1000} s warm-up; loopback only.`,
  );
  console.log('GET /bench/public (no credential), /bench/authenticated (API token), /bench/authorized (API token + ViewUsers) and session (the same with a session cookie): one handler, that of GET /api/v1/permissions; check: POST /api/v1/authz/check {ViewUsers in default} with the API token.\n');
  const results: CaseResult[] = [];
  for (const engine of options.engines) {
    const cleanups: (() => Promise<void>)[] = [];
    const cleanUp = async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${(error as Error).message}`));
    };
    const interrupted = () => void cleanUp().finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    try {
      console.log(`${engine}: running…`);
      results.push(...(await benchEngine(engine, options, cleanups)));
    } catch (error) {
      console.error(`${engine}: ${(error as Error).message}`);
      await cleanUp();
      if (results.length > 0) printTable(results);
      return 1;
    } finally {
      await cleanUp();
      process.removeListener('SIGINT', interrupted);
    }
  }
  console.log('');
  printTable(results);
  if (options.listSql) printStatements(results);
  return 0;
}

process.exitCode = await main();

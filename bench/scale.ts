/**
 * `npm run bench:scale`: lists, search and audit at enterprise scale (issue 10, goals P4, P6, P7).
 *
 * For each engine, two databases are generated (bench/scale-data.ts): the one under test
 * (--users, --tenants, --events) and a baseline of --baseline-users with the same shape
 * (tenants and events scaled down in proportion). The real server (startServer, as
 * `sophon serve`) is started over each, in a process of its own (bench/scale-server.ts), and
 * driven over loopback, one request at a time, in --rounds rounds that alternate between the
 * two databases so that drift hits both alike:
 *
 *   P4  GET /api/v1/users (a page of 50 at a random cursor) and ?search= (a last name, an
 *       email fragment, a first-name prefix) in tenant `large` (10 % of the users) and in a
 *       small tenant of the tail: p95 per round.
 *   P6  GET /api/v1/audit in `large`, filtered by user, by category, by a one-day window: p95.
 *   P7  the server's peak resident memory (VmHWM of the process, read from /proc) over
 *       --load-seconds of two clients paging the users list, one exporting the users of
 *       `large` and one exporting its audit trail, all at once; and its RSS when idle before.
 *
 * Each figure is printed as min / median / max over the rounds, and as the ratio of the
 * medians against the baseline measured in the same run. Absolute times depend on the
 * machine and its other load (printed); the ratios less so.
 *
 * Flags: --users (1000000) --tenants (10000) --events (10000000) --baseline-users (10000)
 * --engines (sqlite,postgres) --rounds (3) --requests (60 per case and round, at most
 * --case-seconds 20) --load-seconds (10) --keep (leave the databases and print where)
 * --reuse DIR (keep the databases under DIR, one per engine, role and size — PostgreSQL's by a
 * name made of the same — and on a later run with the same sizes measure them again instead of
 * generating: the generator's answer is kept beside them as dataset.json; delete DIR, and
 * DROP DATABASE sophon_scale_*, when done); --generate-only (with --reuse: generate and stop).
 * PostgreSQL is reached at SOPHON_BENCH_POSTGRES_URL, else SOPHON_TEST_POSTGRES_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres; the user must be allowed to create databases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Engine } from '../src/storage/open-database.ts';
import { generateDataset, type Dataset, type DatasetSize } from './scale-data.ts';

const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

interface Options {
  size: DatasetSize;
  baselineUsers: number;
  engines: Engine[];
  rounds: number;
  requests: number;
  caseSeconds: number;
  loadSeconds: number;
  keep: boolean;
  reuse?: string;
  generateOnly: boolean;
  postgresAdminUrl: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      tenants: { type: 'string' },
      events: { type: 'string' },
      'baseline-users': { type: 'string' },
      engines: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      'case-seconds': { type: 'string' },
      'load-seconds': { type: 'string' },
      keep: { type: 'boolean' },
      reuse: { type: 'string' },
      'generate-only': { type: 'boolean' },
    },
  });
  const number = (name: keyof typeof values, fallback: number, min: number) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(String(text).replaceAll('_', ''));
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name}: "${String(text)}" must be a number of at least ${min}`);
    return Math.round(value);
  };
  if (values['generate-only'] && values.reuse === undefined) throw new Error('--generate-only needs --reuse DIR (where to keep what it generates)');
  const engines = (values.engines ?? ENGINES.join(',')).split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of engines) if (!ENGINES.includes(name as Engine)) throw new Error(`unknown engine "${name}": use ${ENGINES.join(', ')}`);
  return {
    size: { users: number('users', 1_000_000, 100), tenants: number('tenants', 10_000, 3), events: number('events', 10_000_000, 0) },
    baselineUsers: number('baseline-users', 10_000, 100),
    engines: engines as Engine[],
    rounds: number('rounds', 3, 1),
    requests: number('requests', 60, 5),
    caseSeconds: number('case-seconds', 20, 1),
    loadSeconds: number('load-seconds', 10, 1),
    keep: (values.keep ?? false) || values.reuse !== undefined,
    reuse: values.reuse === undefined ? undefined : path.resolve(values.reuse),
    generateOnly: values['generate-only'] ?? false,
    postgresAdminUrl: process.env.SOPHON_BENCH_POSTGRES_URL ?? process.env.SOPHON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

/** The baseline keeps the shape: tenants and events in proportion to its users. */
function baselineSize(size: DatasetSize, users: number): DatasetSize {
  const factor = users / size.users;
  return { users, tenants: Math.max(10, Math.round(size.tenants * factor)), events: Math.round(size.events * factor) };
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

interface Target {
  label: string;
  dataDir: string;
  databaseUrl?: string;
  dataset?: Dataset;
  server?: { url: string; child: ChildProcess };
}

/** With --reuse: where a target of this engine, role and size lives, by a name that says them (also its PostgreSQL database's). */
const reuseName = (engine: Engine, label: string, size: DatasetSize) => `sophon_scale_${engine}_${label}_${size.users}u_${size.tenants}t_${size.events}e`;

async function createTarget(engine: Engine, label: string, options: Options, cleanups: (() => Promise<void>)[], size: DatasetSize): Promise<Target> {
  if (options.reuse) {
    const name = reuseName(engine, label, size);
    const dataDir = path.join(options.reuse, name);
    mkdirSync(dataDir, { recursive: true });
    const saved = path.join(dataDir, 'dataset.json');
    const dataset = existsSync(saved) ? (JSON.parse(readFileSync(saved, 'utf8')) as Dataset) : undefined;
    if (engine === 'sqlite') {
      // A generation cut short left a partial database: start it again.
      if (!dataset) for (const file of ['sophon.db', 'sophon.db-wal', 'sophon.db-shm']) rmSync(path.join(dataDir, file), { force: true });
      return { label, dataDir, dataset };
    }
    const url = new URL(options.postgresAdminUrl);
    url.pathname = `/${name}`;
    if (!dataset) {
      await adminQuery(options.postgresAdminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(options.postgresAdminUrl, `CREATE DATABASE ${name}`);
    }
    return { label, dataDir, databaseUrl: url.toString(), dataset };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), `sophon-scale-${label}-`));
  if (!options.keep) cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (engine === 'sqlite') return { label, dataDir };
  const name = `sophon_scale_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  try {
    await adminQuery(options.postgresAdminUrl, `CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`cannot create a PostgreSQL database (${(error as Error).message}); start PostgreSQL or set SOPHON_BENCH_POSTGRES_URL, or run with --engines sqlite`);
  }
  if (!options.keep) cleanups.push(() => adminQuery(options.postgresAdminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(options.postgresAdminUrl);
  url.pathname = `/${name}`;
  return { label, dataDir, databaseUrl: url.toString() };
}

/** Starts bench/scale-server.ts over the target's database and waits for its address. */
async function startServerProcess(target: Target, cleanups: (() => Promise<void>)[]): Promise<{ url: string; child: ChildProcess }> {
  // The V8 flag and malloc setting that `sophon serve` runs with (bin/sophon.js's shebang).
  const child = spawn(process.execPath, ['--max-semi-space-size=2', new URL('./scale-server.ts', import.meta.url).pathname], {
    env: { MALLOC_ARENA_MAX: '2', ...process.env, SOPHON_SCALE_DATA_DIR: target.dataDir, SOPHON_SCALE_DATABASE_URL: target.databaseUrl ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the ${target.label} server exited with code ${code}: ${stderr.join('')}`)));
  });
  return { url, child };
}

/** The process's resident memory now and at its peak, in MB (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Resets the process's peak (VmHWM) so that a load phase reads its own: "5" to /proc/<pid>/clear_refs (proc(5)); false where that is refused. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Case {
  metric: 'P4' | 'P6';
  name: string;
  /** The path and query of the n-th request. */
  path: (dataset: Dataset, index: number) => string;
  tenant: (dataset: Dataset) => string;
}

const SEARCHES = ['garcia', 'user12', 'jenn', 'smith', 'user4711', 'mül', 'walker', 'user3'];
const CATEGORIES = ['auth', 'users', 'rbac', 'tokens', 'sessions'];
const DAY = 24 * 3600_000;

const cursorPage = (ids: string[], index: number) => (index % 4 === 0 ? '/api/v1/users?limit=50' : `/api/v1/users?limit=50&cursor=${ids[index % ids.length]}`);
const search = (index: number) => `/api/v1/users?limit=50&search=${encodeURIComponent(SEARCHES[index % SEARCHES.length]!)}`;

const CASES: Case[] = [
  { metric: 'P4', name: 'users page, large tenant', tenant: (d) => d.largeTenant.slug, path: (d, i) => cursorPage(d.largeTenant.sampleUserIds, i) },
  { metric: 'P4', name: 'users search, large tenant', tenant: (d) => d.largeTenant.slug, path: (_, i) => search(i) },
  { metric: 'P4', name: 'users page, small tenant', tenant: (d) => d.smallTenant.slug, path: (d, i) => cursorPage(d.smallTenant.sampleUserIds, i) },
  { metric: 'P4', name: 'users search, small tenant', tenant: (d) => d.smallTenant.slug, path: (_, i) => search(i) },
  {
    metric: 'P6',
    name: 'audit by user, large tenant',
    tenant: (d) => d.largeTenant.slug,
    path: (d, i) => `/api/v1/audit?limit=50&user=${(d.largeTenant.auditedUserIds.length > 0 ? d.largeTenant.auditedUserIds : d.largeTenant.sampleUserIds)[i % Math.max(1, d.largeTenant.auditedUserIds.length || d.largeTenant.sampleUserIds.length)]}`,
  },
  { metric: 'P6', name: 'audit by category, large tenant', tenant: (d) => d.largeTenant.slug, path: (_, i) => `/api/v1/audit?limit=50&category=${CATEGORIES[i % CATEGORIES.length]}` },
  {
    metric: 'P6',
    name: 'audit one-day window, large tenant',
    tenant: (d) => d.largeTenant.slug,
    path: (d, i) => {
      const [first, last] = d.auditSpan.map(Date.parse) as [number, number];
      // Spread over the span by a fixed stride, so each round asks for the same windows.
      const since = first + ((i * 0.618034) % 1) * Math.max(0, last - first - DAY);
      return `/api/v1/audit?limit=50&since=${new Date(since).toISOString()}&until=${new Date(since + DAY).toISOString()}`;
    },
  },
];

async function get(url: string, token: string, tenant: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-sophon-tenant': tenant } });
  const body = await response.arrayBuffer();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${Buffer.from(body).toString().slice(0, 300)}`);
  return elapsed;
}

function percentile(values: number[], fraction: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function measureCase(target: Target, testCase: Case, options: Options, round: number): Promise<number> {
  const { dataset, server } = target as Required<Target>;
  const latencies: number[] = [];
  const deadline = performance.now() + options.caseSeconds * 1000;
  // Two warm-up requests, then the measured ones (each round starts where the last one stopped, so it asks new pages).
  for (let index = 0; index < 2; index++) await get(server.url + testCase.path(dataset, index), dataset.adminToken, testCase.tenant(dataset));
  for (let index = 0; index < options.requests && (index < 5 || performance.now() < deadline); index++) {
    latencies.push(await get(server.url + testCase.path(dataset, round * options.requests + index), dataset.adminToken, testCase.tenant(dataset)));
  }
  return percentile(latencies, 0.95);
}

/** P7: list and export load at once; the server's idle RSS before and its peak during. */
async function measureMemory(target: Target, options: Options): Promise<{ idle: number; peak: number; requests: number }> {
  const { dataset, server } = target as Required<Target>;
  const pid = server.child.pid!;
  const idle = memoryOf(pid).rss;
  const canReset = resetPeak(pid);
  let sampledPeak = idle;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss)), 50);
  const deadline = performance.now() + options.loadSeconds * 1000;
  let requests = 0;
  const loop = async (path: (index: number) => string) => {
    for (let index = 0; performance.now() < deadline; index++) {
      await get(server.url + path(index), dataset.adminToken, dataset.largeTenant.slug);
      requests++;
    }
  };
  try {
    await Promise.all([
      loop((index) => cursorPage(dataset.largeTenant.sampleUserIds, index)),
      loop((index) => cursorPage(dataset.largeTenant.sampleUserIds, index + 7)),
      loop(() => '/api/v1/users/export'),
      loop(() => '/api/v1/audit/export?format=csv'),
    ]);
  } finally {
    clearInterval(sampler);
  }
  const peak = canReset ? Math.max(memoryOf(pid).peak, sampledPeak) : sampledPeak;
  return { idle, peak, requests };
}

interface Row {
  engine: Engine;
  metric: string;
  name: string;
  unit: string;
  goal: string;
  baseline: number[];
  scale: number[];
}

const median = (values: number[]) => percentile(values, 0.5);
const spread = (values: number[], digits: number) =>
  values.length === 0 ? '' : `${Math.min(...values).toFixed(digits)} / ${median(values).toFixed(digits)} / ${Math.max(...values).toFixed(digits)}`;

function printTable(rows: Row[], options: Options, sizes: Map<Engine, { baseline: DatasetSize; scale: DatasetSize }>): void {
  const describe = (size: DatasetSize) => `${size.users.toLocaleString('en')} users`;
  const anySize = sizes.values().next().value;
  const header = ['engine', 'metric', 'case', 'unit', `${anySize ? describe(anySize.baseline) : 'baseline'} min/med/max`, `${anySize ? describe(anySize.scale) : 'scale'} min/med/max`, 'ratio', 'goal'];
  const table = [header, ...rows.map((row) => [row.engine, row.metric, row.name, row.unit, spread(row.baseline, row.unit === 'MB' ? 0 : 1), spread(row.scale, row.unit === 'MB' ? 0 : 1), (median(row.scale) / median(row.baseline)).toFixed(2), row.goal])];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  console.log('');
  for (const [index, row] of table.entries()) {
    console.log(`| ${row.map((cell, column) => (column < 4 || column === 7 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`);
    if (index === 0) console.log(`|${widths.map((width, column) => (column < 4 || column === 7 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`);
  }
  console.log(`\nms: p95 of ${options.requests} sequential requests per case and round (${options.rounds} rounds); MB: the server process's resident memory; ratio: of the medians, ${[...sizes.values()].map((s) => `${describe(s.scale)} ÷ ${describe(s.baseline)}`)[0] ?? ''}.`);
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = readOptions();
  } catch (error) {
    console.error(`bench:scale: ${(error as Error).message}`);
    return 2;
  }
  console.log(
    `Sophon Identity scale benchmark: Node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadavg()[0]?.toFixed(2)} at start; ` +
      `${options.size.users.toLocaleString('en')} users / ${options.size.tenants.toLocaleString('en')} tenants / ${options.size.events.toLocaleString('en')} audit events against ${options.baselineUsers.toLocaleString('en')} users; engines ${options.engines.join(', ')}.`,
  );
  const rows: Row[] = [];
  const sizes = new Map<Engine, { baseline: DatasetSize; scale: DatasetSize }>();
  for (const engine of options.engines) {
    const cleanups: (() => Promise<void>)[] = [];
    const cleanUp = async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${(error as Error).message}`));
    };
    const interrupted = () => void cleanUp().finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    try {
      const baselineShape = baselineSize(options.size, options.baselineUsers);
      const baseline = await createTarget(engine, 'baseline', options, cleanups, baselineShape);
      const scale = await createTarget(engine, 'scale', options, cleanups, options.size);
      for (const [target, size] of [[baseline, baselineShape], [scale, options.size]] as const) {
        if (target.dataset) {
          console.log(`${engine} ${target.label}: reusing the database generated earlier in ${target.dataDir} (large tenant ${target.dataset.largeTenant.members.toLocaleString('en')} members, small tenant "${target.dataset.smallTenant.slug}" ${target.dataset.smallTenant.members})`);
          continue;
        }
        target.dataset = await generateDataset({ engine, dataDir: target.dataDir, databaseUrl: target.databaseUrl, size, label: `${engine} ${target.label}` });
        if (options.reuse) writeFileSync(path.join(target.dataDir, 'dataset.json'), JSON.stringify(target.dataset));
        const rowsWritten = Object.entries(target.dataset.rows).map(([table, count]) => `${table} ${count.toLocaleString('en')}`).join(', ');
        console.log(`${engine} ${target.label}: generated in ${target.dataset.seconds.toFixed(1)} s (${rowsWritten}); large tenant ${target.dataset.largeTenant.members.toLocaleString('en')} members, small tenant "${target.dataset.smallTenant.slug}" ${target.dataset.smallTenant.members}`);
        if (options.keep) console.log(`${engine} ${target.label}: kept at ${target.databaseUrl?.replace(/\/\/[^@/]*@/, '//') ?? path.join(target.dataDir, 'sophon.db')}`);
      }
      sizes.set(engine, { baseline: baseline.dataset!.size, scale: scale.dataset!.size });
      if (options.generateOnly) continue;
      for (const target of [baseline, scale]) target.server = await startServerProcess(target, cleanups);
      const engineRows: Row[] = CASES.map((testCase) => ({ engine, metric: testCase.metric, name: testCase.name, unit: 'ms', goal: testCase.metric === 'P4' ? '< 20 ms, ratio ≤ 1.5' : '< 50 ms', baseline: [], scale: [] }));
      const idleRow: Row = { engine, metric: 'P7', name: 'server RSS, idle', unit: 'MB', goal: '', baseline: [], scale: [] };
      const loadRow: Row = { engine, metric: 'P7', name: 'server RSS peak, list + export load', unit: 'MB', goal: '< 256 MB', baseline: [], scale: [] };
      for (let round = 0; round < options.rounds; round++) {
        for (const [index, testCase] of CASES.entries()) {
          for (const target of [baseline, scale]) {
            const p95 = await measureCase(target, testCase, options, round);
            engineRows[index]![target === baseline ? 'baseline' : 'scale'].push(p95);
          }
        }
        for (const target of [baseline, scale]) {
          const memory = await measureMemory(target, options);
          idleRow[target === baseline ? 'baseline' : 'scale'].push(memory.idle);
          loadRow[target === baseline ? 'baseline' : 'scale'].push(memory.peak);
        }
        console.log(`${engine}: round ${round + 1} of ${options.rounds} done (${engineRows.map((row) => `${row.name} ${row.scale.at(-1)!.toFixed(1)} ms`).join('; ')}; peak RSS ${loadRow.scale.at(-1)!.toFixed(0)} MB)`);
      }
      rows.push(...engineRows, idleRow, loadRow);
    } catch (error) {
      console.error(`${engine}: ${(error as Error).stack ?? (error as Error).message}`);
      await cleanUp();
      if (rows.length > 0) printTable(rows, options, sizes);
      return 1;
    } finally {
      await cleanUp();
      process.removeListener('SIGINT', interrupted);
    }
  }
  if (rows.length > 0) printTable(rows, options, sizes);
  return 0;
}

process.exitCode = await main();

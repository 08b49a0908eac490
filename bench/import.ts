/**
 * `node bench/import.ts`: the CSV import job's throughput (issue 10, goal P5), on demand, not in `npm test`.
 *
 * For each engine (SQLite, then PostgreSQL in a throwaway database dropped after), the real
 * server is started (startServer: migrations, bootstrap, production wiring) and, per round:
 *
 *   password-less  N rows without a password streamed to POST /api/v1/users/imports; rows/s
 *                  from the POST to the job's end (no SMTP: each gets a one-time password
 *                  stored as SHA-256, no argon2)
 *   passwords      M rows with a password; rows/s, beside the machine's parallel argon2id rate
 *                  measured in the same round (M hashes on a PasswordHashPool of one thread per
 *                  core, the server's own parameters): the ratio is the P5 figure (goal ≥ 0.8)
 *
 * Each figure is printed as min / median / max over the rounds. Options (flags or environment):
 * --rows / BENCH_IMPORT_ROWS (20000), --password-rows / BENCH_IMPORT_PASSWORD_ROWS (200),
 * --rounds / BENCH_ROUNDS (3), --engines / BENCH_ENGINES (sqlite,postgres). PostgreSQL is
 * reached at SOPHON_BENCH_POSTGRES_URL, else SOPHON_TEST_POSTGRES_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres; the user must be allowed to create databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadAppSettings, type ServerConfig } from '../src/config/config.ts';
import { PasswordHashPool } from '../src/domain/users/password-hash-pool.ts';
import { startServer, type RunningServer } from '../src/http/server.ts';
import type { Engine } from '../src/storage/open-database.ts';

const ADMIN_EMAIL = 'bench-admin@sophon.local';
const ADMIN_PASSWORD = 'a benchmark admin password';

const { values } = parseArgs({ options: { rows: { type: 'string' }, 'password-rows': { type: 'string' }, rounds: { type: 'string' }, engines: { type: 'string' } } });
const rows = Number(values.rows ?? process.env.BENCH_IMPORT_ROWS ?? 20_000);
const passwordRows = Number(values['password-rows'] ?? process.env.BENCH_IMPORT_PASSWORD_ROWS ?? 200);
const rounds = Number(values.rounds ?? process.env.BENCH_ROUNDS ?? 3);
const engines = (values.engines ?? process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',').map((name) => name.trim()) as Engine[];
const postgresAdminUrl = process.env.SOPHON_BENCH_POSTGRES_URL ?? process.env.SOPHON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A CSV file generated as it is sent: the bench never holds it whole either. */
function csvStream(label: string, count: number, withPasswords: boolean): Readable {
  return Readable.from(
    (function* () {
      yield withPasswords ? 'email,displayName,role,tenant,password\n' : 'email,displayName\n';
      for (let start = 0; start < count; start += 1000) {
        let chunk = '';
        for (let index = start; index < Math.min(count, start + 1000); index++) {
          chunk += withPasswords ? `${label}.${index}@bench.test,Bench ${index},Viewer,,"bench passphrase number ${index}"\n` : `${label}.${index}@bench.test,Bench ${index}\n`;
        }
        yield chunk;
      }
    })(),
  );
}

async function request(server: RunningServer, method: string, url: string, token: string | undefined, body?: unknown): Promise<any> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body instanceof Readable) return upload(server.url + url, { ...headers, 'content-type': 'text/csv' }, body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(server.url + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A file streamed as the CLI sends it: node:http, the body piped in as it is made. */
function upload(url: string, headers: Record<string, string>, body: Readable): Promise<any> {
  return new Promise((resolve, reject) => {
    const sent = http.request(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => ((response.statusCode ?? 0) >= 300 ? reject(new Error(`POST ${url}: ${response.statusCode} ${text}`)) : resolve(JSON.parse(text))));
    });
    sent.on('error', reject);
    body.pipe(sent);
  });
}

async function adminToken(server: RunningServer): Promise<string> {
  const oneTime = server.bootstrap.admin!.oneTimePassword;
  const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL, password: oneTime }) });
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const session = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  await fetch(`${server.url}/api/v1/auth/password`, { method: 'POST', headers: session, body: JSON.stringify({ currentPassword: oneTime, newPassword: ADMIN_PASSWORD }) });
  const token = await fetch(`${server.url}/api/v1/me/tokens`, { method: 'POST', headers: session, body: JSON.stringify({ name: 'bench', expiresIn: '1d' }) });
  return ((await token.json()) as { secret: string }).secret;
}

/** Rows per second of one import job, from the POST to its end. */
async function importRate(server: RunningServer, token: string, label: string, count: number, withPasswords: boolean): Promise<number> {
  const began = performance.now();
  const job = await request(server, 'POST', '/api/v1/users/imports', token, csvStream(label, count, withPasswords));
  if (process.env.BENCH_VERBOSE) console.log(`  (${label}: file in after ${((performance.now() - began) / 1000).toFixed(2)} s)`);
  await server.services.importJobs.idle();
  const done = await request(server, 'GET', `/api/v1/users/imports/${job.id}`, token);
  const seconds = (performance.now() - began) / 1000;
  if (done.status !== 'done' || done.counts.created !== count) throw new Error(`job ${job.id}: ${JSON.stringify(done)}`);
  return count / seconds;
}

/** The machine's parallel argon2id rate: hashes per second on a pool of one thread per core. */
async function argon2Rate(count: number): Promise<number> {
  const pool = new PasswordHashPool();
  try {
    await pool.hashAll(Array.from({ length: pool.threads }, (_, index) => `warm-up ${index}`));
    const began = performance.now();
    await pool.hashAll(Array.from({ length: count }, (_, index) => `bench passphrase number ${index}`));
    return count / ((performance.now() - began) / 1000);
  } finally {
    await pool.close();
  }
}

const spread = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const format = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(2));
  return `${format(sorted[0]!)} / ${format(sorted[Math.floor(sorted.length / 2)]!)} / ${format(sorted.at(-1)!)}`;
};

async function benchEngine(engine: Engine): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sophon-bench-import-'));
  const database = engine === 'postgres' ? `sophon_bench_import_${process.pid}` : undefined;
  const admin = database ? new pg.Client({ connectionString: postgresAdminUrl }) : undefined;
  if (admin) {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  }
  const url = database ? Object.assign(new URL(postgresAdminUrl), { pathname: `/${database}` }).toString() : undefined;
  const config: ServerConfig = { host: '127.0.0.1', port: 0, dataDir, databaseUrl: url, bootstrapAdminEmail: ADMIN_EMAIL, settings: loadAppSettings({}, dataDir) };
  const server = await startServer(config, { print: () => undefined });
  try {
    const token = await adminToken(server);
    const plain: number[] = [];
    const withPasswords: number[] = [];
    const argon2: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      plain.push(await importRate(server, token, `plain${round}`, rows, false));
      const hashes = await argon2Rate(passwordRows);
      const rate = await importRate(server, token, `password${round}`, passwordRows, true);
      argon2.push(hashes);
      withPasswords.push(rate);
      ratios.push(rate / hashes);
    }
    console.log(`\n${engine} (${rounds} rounds; min / median / max)`);
    console.log(`  ${rows} rows without passwords:   ${spread(plain)} rows/s   (goal ≥ 3000)`);
    console.log(`  ${passwordRows} rows with passwords:       ${spread(withPasswords)} rows/s`);
    console.log(`  parallel argon2id, ${availableParallelism()} threads: ${spread(argon2)} hashes/s`);
    console.log(`  passwords ÷ argon2id:            ${spread(ratios)}   (goal ≥ 0.8)`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }
}

console.log(`CSV import jobs: ${availableParallelism()} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
for (const engine of engines) await benchEngine(engine);

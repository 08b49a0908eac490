import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadAppSettings } from '../src/config/config.ts';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { MailSink } from './support/mail-sink.ts';
import { enrol, signInWithSecondFactor } from './support/two-factor.ts';

/** GET /metrics of the real server: who may read it, and what it counts. */

const FAKE_ID = '00000000-0000-7000-8000-00000000beef';

type Labels = Record<string, string>;
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the sample with exactly these labels (0 when absent, as a counter not yet incremented). */
const valueOf = (samples: Sample[], name: string, labels: Labels = {}) =>
  samples.find((sample) => sample.name === name && Object.keys(sample.labels).length === Object.keys(labels).length && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value ?? 0;

async function scrape(client: ApiClient): Promise<Sample[]> {
  const response = await client.get('/metrics');
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return parse(response.body as string);
}

describe.each(engines)('GET /metrics on %s', (engine) => {
  let test: TestServer;
  const sink = new MailSink();
  let withoutHealth: ApiClient;

  beforeAll(async () => {
    // Mail to a port where nothing listens: invitations stay pending in the outbox.
    await sink.useClosedPort();
    test = await startTestServer(engine, { environment: sink.environment() });
    expect((await test.admin.post('/api/v1/roles', { name: 'metrics-blind', permissions: ['ViewUsers'] })).status).toBe(201);
    withoutHealth = (await createSignedInUser(test, { role: 'metrics-blind' })).client;
  });
  afterAll(() => test.close());

  it('needs a credential and the ViewSystemHealth permission', async () => {
    expect((await test.anonymous.get('/metrics')).status).toBe(401);
    const refused = await withoutHealth.get('/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewSystemHealth' });
    const viewer = (await createSignedInUser(test, { role: 'Viewer' })).client;
    const answer = await viewer.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.body).toContain('# TYPE sophon_http_request_duration_seconds histogram');
    expect(answer.body).toContain('process_cpu_user_seconds_total');
  });

  it('times requests by route pattern and status, never by the raw URL', async () => {
    expect((await test.admin.get(`/api/v1/users/${FAKE_ID}`)).status).toBe(404);
    expect((await test.admin.get('/api/v1/users?limit=1')).status).toBe(200);
    expect((await test.anonymous.get('/no/such/route/here')).status).toBe(404);
    const response = await test.admin.get('/metrics');
    const samples = parse(response.body);
    expect(valueOf(samples, 'sophon_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/users/:id', status: '404' })).toBe(1);
    expect(valueOf(samples, 'sophon_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/users', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'sophon_http_request_duration_seconds_count', { method: 'GET', route: '(unmatched)', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(response.body).not.toContain(FAKE_ID);
    expect(response.body).not.toContain('no/such/route');
    expect(response.body).not.toContain('limit=1');
  });

  it('counts authorization decisions by permission and outcome', async () => {
    const before = await scrape(test.admin);
    expect((await withoutHealth.get('/api/v1/users')).status).toBe(200);
    expect((await withoutHealth.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Nobody' })).status).toBe(403);
    expect((await withoutHealth.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Nobody' })).status).toBe(403);
    // Not decisions: no credential at all, and a credential-only route.
    expect((await test.anonymous.get('/api/v1/users')).status).toBe(401);
    expect((await withoutHealth.get('/api/v1/me')).status).toBe(200);
    const after = await scrape(test.admin);
    const delta = (labels: Labels) => valueOf(after, 'sophon_authorization_decisions_total', labels) - valueOf(before, 'sophon_authorization_decisions_total', labels);
    expect(delta({ stage: 'route', permission: 'ViewUsers', outcome: 'granted' })).toBe(1);
    expect(delta({ stage: 'route', permission: 'ManageUsers', outcome: 'denied' })).toBe(2);
    expect(delta({ stage: 'route', permission: 'ViewUsers', outcome: 'denied' })).toBe(0);
    // The scrape itself was granted ViewSystemHealth.
    expect(delta({ stage: 'route', permission: 'ViewSystemHealth', outcome: 'granted' })).toBe(1);
  });

  it("shows how often the node's kept authorization facts answer a request", async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const before = await scrape(test.admin);
    // The session's first request reads its facts; the next ones, nothing having changed, are given them again.
    for (let attempt = 0; attempt < 3; attempt++) expect((await user.client.get('/api/v1/me')).status).toBe(200);
    const after = await scrape(test.admin);
    const delta = (name: string, labels: Labels = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('sophon_authorization_cache_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(delta('sophon_authorization_cache_requests_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(delta('sophon_authorization_version_reads_total')).toBeGreaterThanOrEqual(2);
    expect(valueOf(after, 'sophon_authorization_cache_entries')).toBeGreaterThanOrEqual(2);
  });

  it('counts a refusal inside a command, past the route, as a denial at the command stage', async () => {
    // An Admin holds ManageUsers, so the route lets the request through; the command refuses to delete oneself.
    const admin = await createSignedInUser(test, { role: 'Admin' });
    const before = await scrape(test.admin);
    const refused = await admin.client.delete(`/api/v1/users/${admin.id}`);
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.error.code).toBe('CANNOT_DELETE_SELF');
    const after = await scrape(test.admin);
    const delta = (labels: Labels) => valueOf(after, 'sophon_authorization_decisions_total', labels) - valueOf(before, 'sophon_authorization_decisions_total', labels);
    expect(delta({ stage: 'route', permission: 'ManageUsers', outcome: 'granted' })).toBe(1);
    expect(delta({ stage: 'command', permission: 'none', outcome: 'denied' })).toBe(1);
  });

  it('counts sign-ins by method and outcome', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const before = await scrape(test.admin);
    expect((await test.login(user.email, 'not the password at all')).response.status).toBe(401);
    expect((await test.login(uniqueEmail('nobody'), 'not the password at all')).response.status).toBe(401);
    expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(200);
    const { app } = await enrol(test, user.client, USER_PASSWORD);
    const wrongCode = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(test.clock.now().getTime() - 600_000) });
    expect(wrongCode.second.status).toBe(401);
    test.clock.advance(30_000);
    const rightCode = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(test.clock.now().getTime()) });
    expect(rightCode.second.status).toBe(200);
    // Malformed: not an attempt.
    expect((await test.anonymous.post('/api/v1/auth/login', { email: 'x' })).status).toBe(400);
    const after = await scrape(test.admin);
    const delta = (labels: Labels) => valueOf(after, 'sophon_sign_ins_total', labels) - valueOf(before, 'sophon_sign_ins_total', labels);
    expect(delta({ method: 'password', outcome: 'failure' })).toBe(2);
    expect(delta({ method: 'password', outcome: 'success' })).toBe(1);
    expect(delta({ method: 'password', outcome: 'two_factor_challenge' })).toBe(2);
    expect(delta({ method: 'two_factor', outcome: 'failure' })).toBe(1);
    expect(delta({ method: 'two_factor', outcome: 'success' })).toBe(1);
  });

  it('shows the mail waiting in the outbox', async () => {
    const before = valueOf(await scrape(test.admin), 'sophon_mail_outbox_messages', { status: 'pending' });
    // No password: an invitation goes to the outbox, and can't be delivered.
    expect((await test.admin.post('/api/v1/users', { email: uniqueEmail('invited'), displayName: 'Invited' })).status).toBe(201);
    const after = await scrape(test.admin);
    expect(valueOf(after, 'sophon_mail_outbox_messages', { status: 'pending' })).toBe(before + 1);
    expect(after.some((sample) => sample.name === 'sophon_mail_outbox_messages' && sample.labels.status === 'failed')).toBe(true);
  });

  it.runIf(engine === 'sqlite')("shows SQLite's one connection, always held", async () => {
    const samples = await scrape(test.admin);
    expect(valueOf(samples, 'sophon_database_pool_connections', { state: 'in_use' })).toBe(1);
    expect(valueOf(samples, 'sophon_database_pool_connections', { state: 'idle' })).toBe(0);
    expect(valueOf(samples, 'sophon_database_pool_waiting')).toBe(0);
  });
});

describe('metrics of several servers in one process', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    [first, second] = await Promise.all([startTestServer('sqlite'), startTestServer('sqlite', { environment: { Sophon__Metrics__Listen: '127.0.0.1:0' } })]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('are counted apart, outside prom-client’s global registry', async () => {
    const failures = (samples: Sample[]) => valueOf(samples, 'sophon_sign_ins_total', { method: 'password', outcome: 'failure' });
    const secondBefore = failures(await scrape(second.admin));
    expect((await first.login('admin@sophon.local', 'wrong password of the first')).response.status).toBe(401);
    expect(failures(await scrape(first.admin))).toBe(1);
    expect(failures(await scrape(second.admin))).toBe(secondBefore);
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('serve an unauthenticated scrape on Sophon:Metrics:Listen, and only that', async () => {
    expect(first.server.metricsUrl).toBeUndefined();
    const base = second.server.metricsUrl!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(second.printed).toContain(`Sophon Identity: metrics for scrapers, without authentication, on ${base}/metrics`);
    const scraped = await fetch(`${base}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scraped.text()).toContain('sophon_sign_ins_total');
    expect((await fetch(`${base}/api/v1/users`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('stop a server from starting when their address is taken, naming the key', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const taken = new URL(second.server.metricsUrl!).port;
      await expect(startTestServer('sqlite', { database, environment: { Sophon__Metrics__Listen: `127.0.0.1:${taken}` } })).rejects.toThrow(
        new RegExp(`^Sophon:Metrics:Listen: cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`),
      );
    } finally {
      await database.drop();
    }
  });
});

describe('Sophon:Metrics:Listen', () => {
  it('takes host:port, IPv6 in brackets', () => {
    expect(loadAppSettings({ Sophon__Metrics__Listen: '0.0.0.0:9464' }, '/nonexistent-sophon-dir').Sophon.Metrics.Listen).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadAppSettings({ Sophon__Metrics__Listen: '[::1]:9464' }, '/nonexistent-sophon-dir').Sophon.Metrics.Listen).toEqual({ host: '::1', port: 9464 });
    expect(loadAppSettings({}, '/nonexistent-sophon-dir').Sophon.Metrics.Listen).toBeUndefined();
  });

  it('refuses anything else, naming the key', () => {
    for (const value of ['9464', 'localhost', '127.0.0.1:99999', 'http://127.0.0.1:9464']) {
      expect(() => loadAppSettings({ Sophon__Metrics__Listen: value }, '/nonexistent-sophon-dir'), value).toThrow(ConfigError);
      expect(() => loadAppSettings({ Sophon__Metrics__Listen: value }, '/nonexistent-sophon-dir'), value).toThrow(/Sophon:Metrics:Listen: .* must be "host:port"/);
    }
  });
});

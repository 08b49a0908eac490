import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadAppSettings } from '../src/config/config.ts';
import { startServer, type RunningServer } from '../src/http/server.ts';
import { ApiClient, type ApiResponse } from './support/api-client.ts';
import { Authenticator } from './support/authenticator.ts';
import { ADMIN_EMAIL, createTestDatabase, engines, type TestDatabase } from './support/harness.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from './support/oidc-provider.ts';
import { RedirectBrowser } from './support/redirect-browser.ts';
import { cookiesOf, sessionClient } from './support/two-factor.ts';

/**
 * The request logs of a real server, at the chattiest level, while every route that carries a
 * credential is used: no password, token, cookie, CSRF token, one-time link, TOTP code, recovery
 * code or SSO code/state may appear in any line. Every secret the test sends or receives is
 * collected and searched for in every line.
 */

describe('Sophon:Logging:Level', () => {
  it('is info by default and takes any pino level, in any case', () => {
    expect(loadAppSettings({}, '/nonexistent-sophon-dir').Sophon.Logging.Level).toBe('info');
    expect(loadAppSettings({ Sophon__Logging__Level: 'DEBUG' }, '/nonexistent-sophon-dir').Sophon.Logging.Level).toBe('debug');
    expect(loadAppSettings({ Sophon__Logging__Level: 'silent' }, '/nonexistent-sophon-dir').Sophon.Logging.Level).toBe('silent');
  });

  it('refuses anything else, naming the key and the levels', () => {
    expect(() => loadAppSettings({ Sophon__Logging__Level: 'verbose' }, '/nonexistent-sophon-dir')).toThrow(ConfigError);
    expect(() => loadAppSettings({ Sophon__Logging__Level: 'verbose' }, '/nonexistent-sophon-dir')).toThrow(
      /Sophon:Logging:Level: must be one of trace, debug, info, warn, error, fatal, silent/,
    );
  });
});

describe.each(engines)('request logs on %s', (engine) => {
  let idp: TestIdentityProvider;
  let database: TestDatabase;
  let server: RunningServer;
  const printed: string[] = [];
  const lines: string[] = [];
  const secrets = new Map<string, string>();
  /** Remembers a secret (under a name for the failure message) and hands it back. */
  const secret = (name: string, value: string | undefined): string => {
    if (!value || value.length < 6) throw new Error(`no usable secret for ${name}: ${JSON.stringify(value)}`);
    secrets.set(secrets.has(name) ? `${name} #${secrets.size}` : name, value);
    return value;
  };
  const sessionSecrets = (name: string, response: ApiResponse) => {
    for (const [cookie, value] of Object.entries(cookiesOf(response))) if (value) secret(`${name}: cookie ${cookie}`, value);
    if (response.body?.csrfToken) secret(`${name}: csrf token`, response.body.csrfToken);
  };

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    database = await createTestDatabase(engine);
    const environment = {
      Sophon__Logging__Level: 'trace',
      Sophon__Auth__Sso__Enabled: 'true',
      Sophon__Auth__Sso__Issuer: idp.issuer,
      Sophon__Auth__Sso__ClientId: idp.clientId,
      Sophon__Auth__Sso__ClientSecret: idp.clientSecret,
      Sophon__Auth__Sso__DefaultRole: 'Viewer',
      Sophon__Auth__Sso__TrustEmail: 'true',
    };
    server = await startServer(
      { host: '127.0.0.1', port: 0, dataDir: database.dataDir, databaseUrl: database.databaseUrl, bootstrapAdminEmail: ADMIN_EMAIL, settings: loadAppSettings(environment, database.dataDir) },
      { print: (line) => printed.push(line), logger: { destination: { write: (chunk) => lines.push(...chunk.split('\n').filter((line) => line !== '')) } } },
    );
    idp.register(`${server.url}/api/v1/auth/sso/callback`);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    await idp?.close();
  });

  it('never writes a credential, while every route that carries one is used', async () => {
    const url = server.url;
    const anonymous = new ApiClient(url);

    // Sign-in with the bootstrap one-time password, then the password change it requires.
    const oneTime = secret('bootstrap one-time password', server.bootstrap.admin?.oneTimePassword);
    const first = await anonymous.post('/api/v1/auth/login', { email: ADMIN_EMAIL, password: oneTime });
    expect(first.status).toBe(200);
    sessionSecrets('first login', first);
    const firstSession = sessionClient(url, first);
    const adminPassword = secret('admin password', 'the admin password of the logging test');
    expect((await firstSession.post('/api/v1/auth/password', { currentPassword: oneTime, newPassword: adminPassword })).status).toBe(200);

    // A cookie session (cookie and CSRF header on every write), and a failed sign-in with a wrong password.
    const wrong = secret('wrong password', 'not the admin password at all');
    expect((await anonymous.post('/api/v1/auth/login', { email: ADMIN_EMAIL, password: wrong })).status).toBe(401);
    const signedIn = await anonymous.post('/api/v1/auth/login', { email: ADMIN_EMAIL, password: adminPassword });
    sessionSecrets('admin login', signedIn);
    const admin = sessionClient(url, signedIn);

    // An API token: its secret is in the answer; then requests with it as a Bearer header.
    const created = await admin.post('/api/v1/me/tokens', { name: 'logging test', expiresIn: '1d' });
    expect(created.status).toBe(201);
    const token = secret('API token', created.body.secret);
    const bearer = new ApiClient(url, { token });
    expect((await bearer.get('/api/v1/me')).status).toBe(200);
    expect((await new ApiClient(url, { token: secret('unknown token', `${token.slice(0, -4)}zzzz`) }).get('/api/v1/me')).status).toBe(401);

    // A user with an initial password, one with a generated one-time password, and a reset link redeemed.
    const initial = secret('initial password', 'initial password of dana');
    const dana = await bearer.post('/api/v1/users', { email: 'dana@logging.example', displayName: 'Dana', role: 'Viewer', password: initial });
    expect(dana.status).toBe(201);
    const generated = await bearer.post('/api/v1/users', { email: 'erin@logging.example', displayName: 'Erin', role: 'Viewer' });
    secret('generated one-time password', generated.body.oneTimePassword);
    const reset = await bearer.post(`/api/v1/users/${dana.body.user.id}/reset-password`);
    expect(reset.status).toBe(200);
    const linkToken = secret('reset link token', new URL(reset.body.link).hash.replace('#token=', ''));
    const danaPassword = secret('password set by link', 'dana chose this passphrase');
    expect((await anonymous.post('/api/v1/auth/redeem-link', { token: linkToken, newPassword: danaPassword })).status).toBe(200);

    // Two-factor: enrolment (secret and recovery codes in the answers), then both sign-in steps, with a code and with a recovery code.
    const danaLogin = await anonymous.post('/api/v1/auth/login', { email: 'dana@logging.example', password: danaPassword });
    sessionSecrets('dana login', danaLogin);
    const danaSession = sessionClient(url, danaLogin);
    const enrolment = await danaSession.post('/api/v1/me/two-factor/enrollment');
    expect(enrolment.status).toBe(201);
    const app = Authenticator.scan(enrolment.body.otpauthUri);
    secret('TOTP secret', new URL(enrolment.body.otpauthUri).searchParams.get('secret') ?? undefined);
    const confirmed = await danaSession.post('/api/v1/me/two-factor/enrollment/confirm', { code: secret('TOTP code (enrolment)', app.codeAt(Date.now())), currentPassword: danaPassword });
    expect(confirmed.status).toBe(200);
    const recoveryCodes: string[] = confirmed.body.recoveryCodes;
    recoveryCodes.forEach((code, index) => secret(`recovery code ${index}`, code));
    for (const factor of [{ recoveryCode: recoveryCodes[0]! }, { recoveryCode: recoveryCodes[1]! }]) {
      const step = await anonymous.post('/api/v1/auth/login', { email: 'dana@logging.example', password: danaPassword });
      expect(step.body.twoFactorRequired).toBe(true);
      const challenge = secret('login challenge', step.body.challenge);
      const second = await anonymous.post('/api/v1/auth/login/two-factor', { challenge, ...factor });
      expect(second.status).toBe(200);
      sessionSecrets('two-factor login', second);
    }
    // A TOTP code: a fresh one, unless the enrolment's is still the current one (a code works once).
    const totpStep = await anonymous.post('/api/v1/auth/login', { email: 'dana@logging.example', password: danaPassword });
    const wrongCode = secret('wrong TOTP code', app.codeAt(Date.now() - 10 * 60_000));
    expect((await anonymous.post('/api/v1/auth/login/two-factor', { challenge: secret('login challenge (totp)', totpStep.body.challenge), code: wrongCode })).status).toBe(401);

    // Single sign-on: the provider's redirect back carries `code` and `state` in the query.
    idp.setAccount({ sub: 'logging-sso', email: 'sso@logging.example', emailVerified: true, name: 'SSO User' });
    const browser = new RedirectBrowser();
    const toLogin = await browser.follow(`${url}/api/v1/auth/sso`, (next) => next.pathname.startsWith('/interaction/'));
    secret('SSO state cookie', browser.cookie(url, 'sophon_sso_state'));
    const loginPage = toLogin.next!;
    await browser.request(loginPage);
    const posted = await browser.request(new URL(`${loginPage.pathname}/login`, loginPage), { form: { account: 'logging-sso' } });
    const back = await browser.follow(new URL(posted.headers.get('location')!, loginPage), (next) => next.origin === new URL(url).origin);
    const callback = back.next!;
    secret('SSO code', callback.searchParams.get('code') ?? undefined);
    secret('SSO state', callback.searchParams.get('state') ?? undefined);
    const landed = await browser.request(callback);
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/');
    secret('SSO session cookie', browser.cookie(url, 'sophon_session'));
    // A replayed callback, and tokens in the query of any URL, stay out too.
    expect((await fetch(`${callback}`, { redirect: 'manual' })).status).toBe(302);
    await fetch(`${url}/api/v1/users?access_token=${secret('token in a query', 'sph_query_token_never_logged')}`);

    // A request Node can't parse, with credentials in it: Fastify logs its raw bytes at trace.
    const raw = secret('bearer token of a malformed request', 'sph_malformed_request_token');
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(`GET /api/v1/me HTTP/1.1\r\nAuthorization: Bearer ${raw}\r\nBad Header\r\n\r\n`));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });

    expect(secrets.size).toBeGreaterThan(25);
    // Bytes are logged as {"type":"Buffer","data":[71,69,…]}: searched as the text they hold.
    const readable = lines.map((line) => line.replace(/\{"type":"Buffer","data":\[([\d,]*)\]\}/g, (_all, bytes: string) => Buffer.from(bytes.split(',').map(Number)).toString('latin1')));
    for (const [name, value] of secrets) {
      const leaking = readable.filter((line) => line.includes(value));
      expect(leaking, `${name} appears in the logs`).toEqual([]);
    }
    // Not even the parts of a Cookie or Authorization header.
    expect(readable.filter((line) => /sophon_session=|bearer /i.test(line))).toEqual([]);

    // The logs covered all of it: every line JSON, requests to every credential-bearing route, at trace.
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string; req?: { url: string; route?: string } });
    const logged = new Set(entries.flatMap((entry) => (entry.req ? [entry.req.url] : [])));
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/login/two-factor', '/api/v1/auth/password', '/api/v1/auth/redeem-link', '/api/v1/me/tokens', '/api/v1/me', '/api/v1/auth/sso/callback']) {
      expect(logged, path).toContain(path);
    }
    expect(entries.some((entry) => entry.msg === 'client error')).toBe(true);
    // The callback is logged by its path alone.
    expect(entries.filter((entry) => entry.req?.route === '/api/v1/auth/sso/callback').map((entry) => entry.req!.url)).toEqual(['/api/v1/auth/sso/callback', '/api/v1/auth/sso/callback']);
  });
});

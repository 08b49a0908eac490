import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/routes/index.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * The 2FA step of `sophon auth login`, against a stand-in that speaks the two-factor
 * contract (the real endpoint is being built in parallel): a first answer with a
 * challenge and no cookie, then the code or a recovery code against the challenge.
 */
describe('sophon auth login with two-factor authentication, against a stand-in for the contract', () => {
  const seen: Seen[] = [];
  let server: Server;
  let url: string;
  let config: ReturnType<typeof temporaryConfig>;

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: text ? JSON.parse(text) : undefined });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
      const route = `${request.method} ${request.url}`;
      if (route === 'POST /api/v1/auth/login') return json(200, { twoFactorRequired: true, challenge: 'challenge-1' });
      if (route === 'POST /api/v1/auth/login/two-factor') {
        return json(
          200,
          { user: { id: 'u1', email: 'two@example.test', displayName: 'Two' }, mustChangePassword: false, csrfToken: 'csrf-1', session: { id: 's1', expiresAt: '2030-01-01T00:00:00Z' } },
          { 'set-cookie': 'sophon_session=session-1; Path=/; HttpOnly' },
        );
      }
      if (route === 'POST /api/v1/me/tokens') {
        const token = { id: 't1', userId: 'u1', name: 'x', prefix: 'sph_abc', createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-31T00:00:00Z', lastUsedAt: null, revokedAt: null };
        return json(201, { token, secret: 'sph_secret' });
      }
      if (route === 'POST /api/v1/auth/logout') return json(204, undefined);
      return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: 'no' } });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => void server.close());
  beforeAll(() => void (config = temporaryConfig()));
  afterEach(() => {
    seen.length = 0;
    config.remove();
    config = temporaryConfig();
  });

  const login = (...extra: string[]) => runCli(['auth', 'login', '--email', 'two@example.test', '--password', 'pw', ...extra], { env: { SOPHON_URL: url, SOPHON_CLI_CONFIG: config.file } });

  it('sends the --totp code against the challenge, then makes the token with the session and ends it', async () => {
    const result = await login('--totp', '123456');
    expect(result.code, result.stderr).toBe(0);
    expect(seen.map((request) => request.url)).toEqual(['/api/v1/auth/login', '/api/v1/auth/login/two-factor', '/api/v1/me/tokens', '/api/v1/auth/logout']);
    expect(seen[1]!.body).toEqual({ challenge: 'challenge-1', code: '123456' });
    for (const request of seen.slice(2)) {
      expect(request.headers.cookie).toBe('sophon_session=session-1');
      expect(request.headers['x-csrf-token']).toBe('csrf-1');
    }
    expect(JSON.parse(readFileSync(config.file, 'utf8')).logins[url]).toMatchObject({ token: 'sph_secret', tokenId: 't1', email: 'two@example.test' });
  });

  it('sends a --recovery-code instead', async () => {
    expect((await login('--recovery-code', 'abcd-efgh')).code).toBe(0);
    expect(seen[1]!.body).toEqual({ challenge: 'challenge-1', recoveryCode: 'abcd-efgh' });
  });

  it('without a code and without a terminal, is a usage error that names the flags', async () => {
    const result = await login();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--totp');
    expect(seen.map((request) => request.url)).toEqual(['/api/v1/auth/login']);
  });
});

const twoFactorServed = apiRoutes.some((route) => route.method === 'POST' && route.url === '/api/v1/auth/login/two-factor');

/** The same step against the real server, once its two-factor endpoints are there. */
describe.skipIf(!twoFactorServed).each(engines)('sophon auth login with 2FA on %s', (engine) => {
  let test: TestServer;
  const config = temporaryConfig();
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('logs in with --totp, then with --recovery-code, and without either once an admin ran reset-2fa', async () => {
    const { generateTotp } = await import('../../src/domain/two-factor/totp.ts');
    const { Secret } = await import('otpauth');
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const enrollment = await user.client.post('/api/v1/me/two-factor/enrollment');
    expect(enrollment.status, JSON.stringify(enrollment.body)).toBe(201);
    const secret = Buffer.from(Secret.fromBase32(enrollment.body.secret).buffer);
    const codeNow = () => generateTotp(secret, test.clock.now().getTime());
    const confirmed = await user.client.post('/api/v1/me/two-factor/enrollment/confirm', { code: codeNow(), currentPassword: USER_PASSWORD });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const [recoveryCode] = confirmed.body.recoveryCodes as string[];

    const env = { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file };
    const login = (...extra: string[]) => runCli(['auth', 'login', '--email', user.email, '--password-stdin', ...extra], { env, input: `${USER_PASSWORD}\n` });

    const missing = await login();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--totp');

    test.clock.advance(30_000); // a fresh time step: a code is accepted once
    const withCode = await login('--totp', codeNow());
    expect(withCode.code, withCode.stderr).toBe(0);
    expect((await runCli(['auth', 'whoami', '--json'], { env })).json().user.email).toBe(user.email);

    const wrong = await login('--totp', '000000');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('login refused');

    const withRecovery = await login('--recovery-code', recoveryCode!);
    expect(withRecovery.code, withRecovery.stderr).toBe(0);

    const adminToken = await tokenFor(test.admin);
    const reset = await runCli(['admin', 'users', 'reset-2fa', user.email], { env: { ...env, SOPHON_TOKEN: adminToken } });
    expect(reset.code, reset.stderr).toBe(0);
    const plain = await login();
    expect(plain.code, plain.stderr).toBe(0);
  });
});

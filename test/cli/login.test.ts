import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig } from './run-cli.ts';

describe.each(engines)('sophon auth on %s', (engine) => {
  let test: TestServer;
  let config: ReturnType<typeof temporaryConfig>;
  const sophon = (args: string[], input?: string) => runCli(args, { env: { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file }, input });
  const stored = () => JSON.parse(readFileSync(config.file, 'utf8')).logins[test.url];

  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());
  beforeAll(() => void (config = temporaryConfig()));
  afterEach(() => {
    config.remove();
    config = temporaryConfig();
  });

  it('logs in with the password on stdin and keeps an API token in a file only the owner can read', async () => {
    const login = await sophon(['auth', 'login', '--email', ADMIN_EMAIL], `${ADMIN_PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${test.url} as ${ADMIN_EMAIL}`);
    expect(statSync(config.file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(config.file)).mode & 0o777).toBe(0o700);
    const { token } = stored();
    expect(readFileSync(config.file, 'utf8')).not.toContain(ADMIN_PASSWORD);
    const viaToken = await new ApiClient(test.url, { token }).get('/api/v1/me');
    expect(viaToken.body).toMatchObject({ user: { email: ADMIN_EMAIL }, via: 'token' });

    const whoami = await sophon(['auth', 'whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.json()).toMatchObject({ user: { email: ADMIN_EMAIL }, tenant: { slug: 'default', role: 'Admin' }, via: 'token' });

    // The cookie session used to make the token was ended straight away.
    const sessions = await test.admin.get('/api/v1/me/sessions');
    expect(sessions.body.items.filter((session: { userAgent: string | null }) => session.userAgent?.startsWith('sophon-cli'))).toEqual([]);
  });

  it('logging in again replaces the stored token and revokes the old one', async () => {
    expect((await sophon(['auth', 'login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD])).code).toBe(0);
    const first = stored().token;
    expect((await sophon(['auth', 'login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD])).code).toBe(0);
    expect(stored().token).not.toBe(first);
    expect((await new ApiClient(test.url, { token: first }).get('/api/v1/me')).status).toBe(401);
  });

  it('with a one-time password, stops with exit 3 and says how to change it; with --new-password, changes it and logs in', async () => {
    const email = uniqueEmail('newcomer');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Newcomer' });
    const oneTime = created.body.oneTimePassword as string;

    const refused = await sophon(['auth', 'login', '--email', email, '--password', oneTime]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('sophon auth password');

    const accepted = await sophon(['auth', 'login', '--email', email, '--password', oneTime, '--new-password', 'my own long passphrase', '--json']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.json()).toMatchObject({ user: { email }, token: { name: expect.stringMatching(/^sophon-cli@/) } });
    expect((await test.login(email, 'my own long passphrase')).response.body.mustChangePassword).toBe(false);
  });

  it('sophon auth password changes the password with the current and new one piped in', async () => {
    const email = uniqueEmail('changer');
    await test.admin.post('/api/v1/users', { email, displayName: 'Changer', password: 'the initial passphrase' });
    const changed = await sophon(['auth', 'password', '--email', email, '--password-stdin'], 'the initial passphrase\nthe second passphrase\n');
    expect(changed.code, changed.stderr).toBe(0);
    expect((await test.login(email, 'the second passphrase')).response.status).toBe(200);
  });

  it('a wrong password is refused with exit 3 and nothing is stored', async () => {
    const result = await sophon(['auth', 'login', '--email', ADMIN_EMAIL, '--password-stdin'], 'not the password\n');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/login refused/);
    expect(() => statSync(config.file)).toThrow();
  });

  it('without a terminal, a missing email is a usage error (exit 2)', async () => {
    const result = await sophon(['auth', 'login'], `${ADMIN_PASSWORD}\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--email');
  });

  it('sophon auth logout revokes the stored token on the server and forgets it', async () => {
    expect((await sophon(['auth', 'login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD])).code).toBe(0);
    const { token } = stored();
    const logout = await sophon(['auth', 'logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect((await new ApiClient(test.url, { token }).get('/api/v1/me')).status).toBe(401);
    expect(stored()).toBeUndefined();
    expect(statSync(config.file).mode & 0o777).toBe(0o600);

    const afterwards = await sophon(['auth', 'whoami']);
    expect(afterwards.code).toBe(3);
    expect(afterwards.stderr).toContain('sophon auth login');
  });

  it('sophon auth tokens list, rotate and delete act on your own tokens', async () => {
    expect((await sophon(['auth', 'login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD])).code).toBe(0);
    const created = (await sophon(['auth', 'tokens', 'create', '--name', 'rotating', '--expires', '12h', '--json'])).json();
    const rotated = await sophon(['auth', 'tokens', 'rotate', created.token.id, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((await new ApiClient(test.url, { token: created.secret }).get('/api/v1/me')).status).toBe(401);
    const fresh = rotated.json();
    expect((await new ApiClient(test.url, { token: fresh.secret }).get('/api/v1/me')).status).toBe(200);

    const list = await sophon(['auth', 'tokens', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${fresh.token.id}\\s+rotating`));

    const unconfirmed = await sophon(['auth', 'tokens', 'delete', fresh.token.id]);
    expect(unconfirmed.code).toBe(2);
    expect((await new ApiClient(test.url, { token: fresh.secret }).get('/api/v1/me')).status).toBe(200);
    expect((await sophon(['auth', 'tokens', 'delete', fresh.token.id, '--yes'])).code).toBe(0);
    expect((await new ApiClient(test.url, { token: fresh.secret }).get('/api/v1/me')).status).toBe(401);
  });
});

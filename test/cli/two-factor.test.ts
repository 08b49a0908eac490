import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Authenticator } from '../support/authenticator.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { hasTerminal, runCli, runInTerminal, temporaryConfig, tokenFor } from './run-cli.ts';

const STEP = 30_000;
const password = `${USER_PASSWORD}\n`;
const recoveryCodeLine = /^ {2}([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})$/gm;

/** The authenticator app, set up from the otpauth URI the CLI printed (never from the server's own TOTP code). */
function scanPrinted(shown: string): Authenticator {
  const uri = /otpauth:\/\/\S+/.exec(shown)?.[0];
  if (!uri) throw new Error(`no otpauth URI in:\n${shown}`);
  return Authenticator.scan(uri);
}

const recoveryCodesIn = (text: string) => [...text.matchAll(recoveryCodeLine)].map((match) => match[1]!);

async function requireTwoFactorIn(test: TestServer, slug: string): Promise<void> {
  expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
  expect((await test.admin.put(`/api/v1/tenants/${slug}/settings/authentication`, { requireTwoFactor: true })).status).toBe(200);
}

describe.each(engines)('sophon auth 2fa on %s', (engine) => {
  let test: TestServer;
  let config: ReturnType<typeof temporaryConfig>;
  const sophon = (args: string[], input?: string, env: Record<string, string> = {}) => runCli(args, { env: { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file, ...env }, input });
  const now = () => test.clock.now().getTime();

  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());
  beforeAll(() => void (config = temporaryConfig()));
  afterEach(() => {
    config.remove();
    config = temporaryConfig();
  });

  it('enable in two runs from a script, then logins need a code or a recovery code; status, new recovery codes, disable', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const login = (...extra: string[]) => sophon(['auth', 'login', '--email', user.email, '--password-stdin', ...extra], password);
    expect((await login()).code).toBe(0);

    expect((await sophon(['auth', '2fa', 'status', '--json'])).json()).toEqual({ enabled: false, enabledAt: null, enrollmentPending: false, recoveryCodesRemaining: 0, required: false, reenrolmentRequired: false });
    const notStarted = await sophon(['auth', '2fa', 'enable', '--code', '123456', '--password-stdin'], password);
    expect(notStarted.code).toBe(1);
    expect(notStarted.stderr).toContain('"sophon auth 2fa enable" without --code');

    const started = await sophon(['auth', '2fa', 'enable']);
    expect(started.code, started.stderr).toBe(0);
    const app = scanPrinted(started.stdout);
    expect(started.stdout).toContain(`by hand: ${new URL(/otpauth:\/\/\S+/.exec(started.stdout)![0]).searchParams.get('secret')}`);
    expect(app.account).toBe(user.email);
    expect(started.stderr).toContain('sophon auth 2fa enable --code <code> --password-stdin');
    expect((await sophon(['auth', '2fa', 'status', '--json'])).json()).toMatchObject({ enabled: false, enrollmentPending: true });

    const wrongPassword = await sophon(['auth', '2fa', 'enable', '--code', app.codeAt(now()), '--password-stdin'], 'not my password\n');
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toContain('CURRENT_PASSWORD_WRONG');

    const enabled = await sophon(['auth', '2fa', 'enable', '--code', app.codeAt(now()), '--password-stdin'], password);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain('they are not shown again');
    const recoveryCodes = recoveryCodesIn(enabled.stdout);
    expect(recoveryCodes).toHaveLength(10);

    // The API agrees: the stored token sees 2FA on, and a password alone no longer signs in.
    const { token } = JSON.parse(readFileSync(config.file, 'utf8')).logins[test.url];
    expect((await new ApiClient(test.url, { token }).get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: true, recoveryCodesRemaining: 10 });
    expect((await test.anonymous.post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD })).body.twoFactorRequired).toBe(true);
    const status = await sophon(['auth', '2fa', 'status']);
    expect(status.stdout).toMatch(/Two-factor:\s+on \(since /);
    expect(status.stdout).toMatch(/Recovery codes left:\s+10/);
    const again = await sophon(['auth', '2fa', 'enable']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already on');

    expect((await login()).code).toBe(2);
    test.clock.advance(STEP); // the code used to confirm is spent; the next one is a fresh time step
    const withCode = await login('--totp', app.codeAt(now()));
    expect(withCode.code, withCode.stderr).toBe(0);
    expect((await login('--recovery-code', recoveryCodes[0]!)).code).toBe(0);
    const reused = await login('--recovery-code', recoveryCodes[0]!);
    expect(reused.code).toBe(3);
    expect(reused.stderr).toContain('login refused');
    expect((await sophon(['auth', '2fa', 'status', '--json'])).json().recoveryCodesRemaining).toBe(9);

    const renewed = await sophon(['auth', '2fa', 'recovery-codes', '--password-stdin', '--json'], password);
    expect(renewed.code, renewed.stderr).toBe(0);
    const newCodes = renewed.json().recoveryCodes as string[];
    expect(newCodes).toHaveLength(10);
    expect((await login('--recovery-code', recoveryCodes[1]!)).code).toBe(3);
    expect((await login('--recovery-code', newCodes[0]!)).code).toBe(0);

    const unconfirmed = await sophon(['auth', '2fa', 'disable', '--password-stdin'], password);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    const disabled = await sophon(['auth', '2fa', 'disable', '--yes', '--password-stdin'], password);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain('Two-factor authentication is off');
    expect((await sophon(['auth', '2fa', 'status', '--json'])).json()).toMatchObject({ enabled: false, recoveryCodesRemaining: 0 });
    expect((await login()).code).toBe(0);
  });

  it('--json prints the API objects: the enrolment, then the confirmation with the recovery codes', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const env = { SOPHON_TOKEN: await tokenFor(user.client) };
    const started = await sophon(['auth', '2fa', 'enable', '--json'], undefined, env);
    expect(started.code, started.stderr).toBe(0);
    const enrolment = started.json();
    expect(enrolment).toMatchObject({ secret: expect.any(String), otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//), digits: 6, period: 30 });
    const app = Authenticator.scan(enrolment.otpauthUri);
    const confirmed = await sophon(['auth', '2fa', 'enable', '--json', '--code', app.codeAt(now()), '--password', USER_PASSWORD], undefined, env);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.json()).toEqual({ enabled: true, recoveryCodes: expect.any(Array), endedSessions: expect.any(Number) });
    expect(confirmed.json().recoveryCodes).toHaveLength(10);
  });

  it('under Require 2FA without it: login stops with exit 3 and names "sophon auth 2fa enable", which sets it up in two runs with --email', async () => {
    const slug = `strict-${engine}`;
    await requireTwoFactorIn(test, slug);
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: slug });

    const refused = await sophon(['auth', 'login', '--email', user.email, '--password-stdin'], password);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`sophon auth 2fa enable --email ${user.email}`);
    expect(existsSync(config.file)).toBe(false);

    const status = await sophon(['auth', '2fa', 'status', '--email', user.email, '--password-stdin', '--json'], password);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({ enabled: false, required: true });

    const started = await sophon(['auth', '2fa', 'enable', '--email', user.email, '--password-stdin'], password);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain(`sophon auth 2fa enable --email ${user.email} --code <code> --password-stdin`);
    const app = scanPrinted(started.stdout);
    const enabled = await sophon(['auth', '2fa', 'enable', '--email', user.email, '--password-stdin', '--code', app.codeAt(now())], password);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(recoveryCodesIn(enabled.stdout)).toHaveLength(10);

    test.clock.advance(STEP);
    const login = await sophon(['auth', 'login', '--email', user.email, '--password-stdin', '--totp', app.codeAt(now())], password);
    expect(login.code, login.stderr).toBe(0);
    expect((await sophon(['auth', 'whoami', '--json'])).json().user.email).toBe(user.email);
  });

  it('a token made before 2FA was required: other commands say to run "sophon auth 2fa enable", which works with it', async () => {
    const slug = `later-${engine}`;
    expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: slug });
    const env = { SOPHON_TOKEN: await tokenFor(user.client) };
    expect((await test.admin.put(`/api/v1/tenants/${slug}/settings/authentication`, { requireTwoFactor: true })).status).toBe(200);

    const blocked = await sophon(['auth', 'whoami'], undefined, env);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('Run "sophon auth 2fa enable"');
    const started = await sophon(['auth', '2fa', 'enable'], undefined, env);
    expect(started.code, started.stderr).toBe(0);
    const enabled = await sophon(['auth', '2fa', 'enable', '--code', scanPrinted(started.stdout).codeAt(now()), '--password-stdin'], password, env);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect((await sophon(['auth', 'whoami'], undefined, env)).code).toBe(0);
  });
});

/** A person at a terminal under Require 2FA: the login offers to enrol on the spot. */
describe.skipIf(!hasTerminal).each(engines)('sophon auth login at a terminal under Require 2FA on %s', (engine) => {
  let test: TestServer;
  const config = temporaryConfig();

  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('declining stops with exit 3; accepting shows the QR code, takes a code (again after a wrong one), prints the recovery codes and logs in', async () => {
    await requireTwoFactorIn(test, `strict-${engine}`);
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: `strict-${engine}` });
    const env = { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file };
    const signIn = [
      ['Email: ', user.email],
      ['Password: ', USER_PASSWORD],
    ] as const;

    const declined = await runInTerminal(['auth', 'login'], [...signIn, ['[Y/n] ', 'n']], { env });
    expect(declined.code, declined.output).toBe(3);
    expect(declined.output).toContain('sophon auth 2fa enable');

    const codeFrom = (shown: string) => scanPrinted(shown).codeAt(test.clock.now().getTime());
    const wrongCode = (shown: string) => String((Number(codeFrom(shown)) + 500_000) % 1_000_000).padStart(6, '0');
    const accepted = await runInTerminal(
      ['auth', 'login'],
      [...signIn, ['[Y/n] ', 'y'], ['Code shown by your authenticator app: ', wrongCode], ['Code shown by your authenticator app: ', codeFrom]],
      { env },
    );
    expect(accepted.code, accepted.output).toBe(0);
    expect(accepted.output).toMatch(/[▀▄█]/); // the QR code, drawn for the terminal
    expect(accepted.output).toContain('That code does not match');
    expect(accepted.output).toContain('they are not shown again');
    expect(recoveryCodesIn(accepted.output.replaceAll('\r', ''))).toHaveLength(10);
    expect(accepted.output).toContain(`Logged in to ${test.url} as ${user.email}`);
    expect(accepted.output).not.toContain(USER_PASSWORD);

    const { token } = JSON.parse(readFileSync(config.file, 'utf8')).logins[test.url];
    expect((await new ApiClient(test.url, { token }).get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: true, required: true });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../support/authenticator.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

/** The second step of `sophon auth login`, against the real server: a code, a recovery code, neither. */
describe.each(engines)('sophon auth login with 2FA on %s', (engine) => {
  let test: TestServer;
  const config = temporaryConfig();
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('logs in with --totp, then with --recovery-code; after an admin ran reset-2fa, only once enrolled again', async () => {
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
    expect(reset.stdout).toContain('must enroll again');
    // The password alone no longer gets a token: the script is sent to enrol, as under Require 2FA.
    const refused = await login();
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`sophon auth 2fa enable --email ${user.email}`);
    const status = await runCli(['auth', '2fa', 'status', '--email', user.email, '--password-stdin', '--json'], { env, input: `${USER_PASSWORD}\n` });
    expect(status.json()).toMatchObject({ enabled: false, required: true, reenrolmentRequired: true });

    const started = await runCli(['auth', '2fa', 'enable', '--email', user.email, '--password-stdin'], { env, input: `${USER_PASSWORD}\n` });
    expect(started.code, started.stderr).toBe(0);
    const app = Authenticator.scan(/otpauth:\/\/\S+/.exec(started.stdout)![0]);
    test.clock.advance(30_000);
    const enabled = await runCli(['auth', '2fa', 'enable', '--email', user.email, '--password-stdin', '--code', app.codeAt(test.clock.now().getTime())], { env, input: `${USER_PASSWORD}\n` });
    expect(enabled.code, enabled.stderr).toBe(0);
    test.clock.advance(30_000);
    const again = await login('--totp', app.codeAt(test.clock.now().getTime()));
    expect(again.code, again.stderr).toBe(0);
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

/** Whether a logout, a reset or a password change also revokes API tokens is the caller's explicit choice. */
describe.each(engines)('sophon and API tokens after a logout, a reset or a password change on %s', (engine) => {
  let test: TestServer;
  let adminEnv: Record<string, string>;
  const config = temporaryConfig();
  beforeAll(async () => {
    test = await startTestServer(engine);
    adminEnv = { SOPHON_URL: test.url, SOPHON_TOKEN: await tokenFor(test.admin) };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });
  const statusOf = async (token: string) => (await new ApiClient(test.url, { token }).get('/api/v1/me')).status;

  it('admin users logout keeps the tokens, and revokes them with --tokens', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const token = await tokenFor(user.client);
    const kept = await runCli(['admin', 'users', 'logout', user.id], { env: adminEnv });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('API tokens keep working (add --tokens to revoke them)');
    expect(await statusOf(token)).toBe(200);

    const revoked = await runCli(['admin', 'users', 'logout', user.id, '--tokens', '--json'], { env: adminEnv });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toMatchObject({ revokedTokens: 1 });
    expect(await statusOf(token)).toBe(401);
  });

  it('admin users reset-password --revoke-tokens revokes them with the reset', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const token = await tokenFor(user.client);
    const reset = await runCli(['admin', 'users', 'reset-password', user.email, '--revoke-tokens'], { env: adminEnv });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain('Revoked 1 API token(s)');
    expect(await statusOf(token)).toBe(401);
  });

  it('auth password --revoke-tokens revokes your other tokens and keeps the stored login', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const other = await tokenFor(user.client);
    const env = { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file };
    expect((await runCli(['auth', 'login', '--email', user.email, '--password-stdin'], { env, input: `${USER_PASSWORD}\n` })).code).toBe(0);
    const changed = await runCli(['auth', 'password', '--current-password', USER_PASSWORD, '--new-password', 'changed from the cli', '--revoke-tokens'], { env });
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('1 API token(s) of yours revoked');
    expect(await statusOf(other)).toBe(401);
    const stored = JSON.parse(readFileSync(config.file, 'utf8')).logins[test.url].token as string;
    expect(await statusOf(stored)).toBe(200);
  });
});

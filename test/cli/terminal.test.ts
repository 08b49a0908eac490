import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { hasTerminal, runInTerminal, temporaryConfig, tokenFor } from './run-cli.ts';

/** What a person at a terminal sees: prompts, hidden passwords, confirmations. */
describe.skipIf(!hasTerminal).each(engines)('sophon at a terminal on %s', (engine) => {
  let test: TestServer;
  let admin: ApiClient;
  let adminToken: string;
  const config = temporaryConfig();

  beforeAll(async () => {
    test = await startTestServer(engine, { keepOneTimePassword: true });
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('asks for email and password, hides the password, and has the one-time password replaced', async () => {
    const oneTime = test.printed.find((line) => line.includes('one-time password: '))!.split('one-time password: ')[1]!.trim();
    const { code, output } = await runInTerminal(
      ['auth', 'login'],
      [
        ['Email: ', 'admin@sophon.local'],
        ['Password: ', oneTime],
        ['New password: ', 'the admin passphrase'],
        ['New password again: ', 'the admin passphrase'],
      ],
      { env: { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file } },
    );
    expect(code, output).toBe(0);
    expect(output).toContain('Logged in to');
    expect(output).not.toContain(oneTime);
    expect(output).not.toContain('the admin passphrase');
    adminToken = JSON.parse(readFileSync(config.file, 'utf8')).logins[test.url].token;
    admin = new ApiClient(test.url, { token: adminToken });
    expect((await admin.get('/api/v1/me')).body.user.mustChangePassword).toBe(false);
  });

  it('asks before deleting, and does nothing unless the answer is yes', async () => {
    const created = await admin.post('/api/v1/users', { email: uniqueEmail('doomed'), displayName: 'Doomed' });
    const env = { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file };
    const declined = await runInTerminal(['admin', 'users', 'delete', created.body.user.id], [['[y/N] ', 'n']], { env });
    expect(declined.code, declined.output).toBe(0);
    expect(declined.output).toContain('Nothing deleted.');
    expect((await admin.get(`/api/v1/users/${created.body.user.id}`)).status).toBe(200);

    const accepted = await runInTerminal(['admin', 'users', 'delete', created.body.user.id], [['[y/N] ', 'y']], { env });
    expect(accepted.code, accepted.output).toBe(0);
    expect((await admin.get(`/api/v1/users/${created.body.user.id}`)).status).toBe(404);
  });

  it('purge-orphans says how many before asking', async () => {
    const leaver = await admin.post('/api/v1/users', { email: uniqueEmail('leaver'), displayName: 'Leaver', role: 'Admin', password: 'initial password 123' });
    const { client } = await test.login(leaver.body.user.email, 'initial password 123');
    await client.post('/api/v1/auth/password', { currentPassword: 'initial password 123', newPassword: 'a long enough password' });
    const leaverToken = await tokenFor(client);
    await new ApiClient(test.url, { token: leaverToken }).post('/api/v1/documents', { name: 'old notes' });
    await admin.delete(`/api/v1/users/${leaver.body.user.id}`);
    test.clock.advance(2 * 86_400_000);

    const env = { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: config.file };
    const { code, output } = await runInTerminal(['admin', 'users', 'purge-orphans', '--older-than', '1d'], [['[y/N] ', 'yes']], { env });
    expect(code, output).toBe(0);
    expect(output).toContain('Permanently delete 1 orphaned resource(s) older than 1d?');
    expect(output).toContain('1 orphaned resource(s) purged');
  });
});

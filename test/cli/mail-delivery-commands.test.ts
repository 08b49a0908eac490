import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { MailSink } from '../support/mail-sink.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

/** With SMTP at a closed port: the CLI says queued, not emailed, shows where the mail stands and hands over a link. */
describe.each(engines)('sophon and undelivered mail on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  let admin: ApiClient;
  let env: Record<string, string>;
  const config = temporaryConfig();
  const ok = async (...args: string[]) => {
    const result = await runCli(args, { env });
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    await sink.useClosedPort();
    test = await startTestServer(engine, { environment: sink.environment() });
    const token = await tokenFor(test.admin);
    admin = new ApiClient(test.url, { token });
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('users create says the invitation is queued; activity shows it retrying; one-time-link prints a link that works', async () => {
    const email = uniqueEmail('cli-unreachable');
    const created = await ok('admin', 'users', 'create', '--email', email);
    expect(created.stdout).toContain(`Invitation queued for ${email} (not sent yet)`);
    expect(created.stdout).not.toMatch(/emailed/i);
    expect(created.stdout).not.toMatch(/One-time password/);
    const user = (await admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items[0];

    for (let pass = 0; pass < 200 && !((await admin.get(`/api/v1/users/${user.id}/activity`)).body.lastMail.attempts > 0); pass++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const activity = await ok('admin', 'users', 'activity', email);
    expect(activity.stdout).toMatch(new RegExp(`Last mail:\\s+invitation to ${email.replace(/\./g, '\\.')}: queued, not sent yet \\(1 attempt\\(s\\)`));
    expect(activity.stdout).toContain('last error:');
    expect(activity.stdout).toContain(`sophon admin users one-time-link ${email}`);

    const handed = await ok('admin', 'users', 'one-time-link', email);
    const link = /(\S+\/set-password#token=\S+)/.exec(handed.stdout)?.[1];
    expect(link, handed.stdout).toBeTruthy();
    expect(handed.stdout).toContain('Withdrawn unsent: 1 queued mail(s)');
    const token = new URL(link!).hash.replace('#token=', '');
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'from the command line' })).status).toBe(200);
    expect((await ok('admin', 'users', 'activity', email)).stdout).toMatch(/Last mail:\s+invitation to \S+: cancelled, not sent/);
  });
});

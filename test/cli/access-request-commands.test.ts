import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

const HOUR = 3_600_000;

/** sophon auth access request, sophon admin access-requests and set-role --for/--until, checked against the API. */
describe.each(engines)('sophon access request commands on %s', (engine) => {
  let test: TestServer;
  let adminEnv: Record<string, string>;
  const config = temporaryConfig();
  const sophon = (env: Record<string, string>, ...args: string[]) => runCli(args, { env });
  const ok = async (env: Record<string, string>, ...args: string[]) => {
    const result = await sophon(env, ...args);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    test = await startTestServer(engine);
    adminEnv = { SOPHON_URL: test.url, SOPHON_TOKEN: await tokenFor(test.admin, '365d'), SOPHON_CLI_CONFIG: config.file };
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme Corp' })).status).toBe(201);
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('a member asks for Operator for 4 hours, an admin lists and approves it, and the role ends with the clock', async () => {
    const dana = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const danaEnv = { ...adminEnv, SOPHON_TOKEN: await tokenFor(dana.client, '1d') };
    const asked = await ok(danaEnv, 'auth', 'access', 'request', '--role', 'operator', '--tenant', 'acme', '--for', '4h', '--reason', 'approve the release workflow', '--json');
    const request = JSON.parse(asked.stdout) as { id: string; status: string; role: { name: string } };
    expect(request).toMatchObject({ status: 'pending', role: { name: 'Operator' } });

    const listed = await ok(adminEnv, 'admin', 'access-requests', 'list', '--tenant', 'acme');
    expect(listed.stdout).toContain(request.id);
    expect(listed.stdout).toContain(dana.email);
    expect(listed.stdout).toMatch(/yes/);

    const approved = await ok(adminEnv, 'admin', 'access-requests', 'approve', request.id, '--tenant', 'acme', '--for', '2h');
    expect(approved.stdout).toContain(`Approved: ${dana.email} holds Operator in tenant acme until`);
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${dana.id}`)).body).toMatchObject({ role: 'Operator', thenRole: 'Viewer' });
    const mine = await ok(danaEnv, 'auth', 'access', 'list');
    expect(mine.stdout).toMatch(new RegExp(`${request.id}.*approved`));
    test.clock.advance(2 * HOUR);
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${dana.id}`)).body).toMatchObject({ role: 'Viewer', roleEndsAt: null });

    // A decided request can't be decided again; the refusal's code is shown.
    const again = await sophon(adminEnv, 'admin', 'access-requests', 'deny', request.id, '--tenant', 'acme', '--reason', 'late');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('ACCESS_REQUEST_DECIDED');
  });

  it('set-role --for and --until give a time-bound role; both at once is a usage error', async () => {
    const member = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const forEight = await ok(adminEnv, 'admin', 'users', 'set-role', member.id, '--role', 'Operator', '--tenant', 'acme', '--for', '8h');
    expect(forEight.stdout).toMatch(/now has role Operator in tenant acme until .*, then Viewer again/);
    const until = new Date(test.clock.now().getTime() + 3 * HOUR).toISOString().slice(0, 16) + 'Z';
    const untilAnswer = await ok(adminEnv, 'admin', 'users', 'set-role', member.id, '--role', 'Operator', '--tenant', 'acme', '--until', until, '--json');
    expect(JSON.parse(untilAnswer.stdout)).toMatchObject({ role: 'Operator', roleEndsAt: `${until.slice(0, 16)}:00.000Z`, thenRole: 'Viewer' });
    const both = await sophon(adminEnv, 'admin', 'users', 'set-role', member.id, '--role', 'Operator', '--for', '1h', '--until', until);
    expect(both.code).toBe(2);
    const self = await sophon({ ...adminEnv, SOPHON_TOKEN: await tokenFor(member.client) }, 'admin', 'access-requests', 'list', '--tenant', 'acme');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain('AssignRoles');
  });
});

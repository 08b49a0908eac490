import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

/** The admin surface around the seed commands, each checked through the API. */
describe.each(engines)('sophon admin commands on %s', (engine) => {
  let test: TestServer;
  let admin: ApiClient;
  let env: Record<string, string>;
  const config = temporaryConfig();
  const sophon = (...args: string[]) => runCli(args, { env });
  const ok = async (...args: string[]) => {
    const result = await sophon(...args);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    test = await startTestServer(engine);
    const token = await tokenFor(test.admin);
    admin = new ApiClient(test.url, { token });
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file };
    await admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme Corp' });
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('users: create, list, show, update, suspend, reactivate, reset-password, activity, move', async () => {
    const email = uniqueEmail('sam');
    const created = await ok('admin', 'users', 'create', '--email', email, '--role', 'operator');
    expect(created.stdout).toMatch(/One-time password \(shown only now.*\): \S+/);
    const user = (await admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items[0];
    expect(user).toMatchObject({ email, displayName: email.split('@')[0], role: 'Operator' });

    expect((await ok('admin', 'users', 'list', '--search', email)).stdout).toMatch(new RegExp(`${user.id}\\s+${email}`));
    expect((await ok('admin', 'users', 'show', email)).stdout).toMatch(/Status:\s+active/);

    await ok('admin', 'users', 'update', email, '--name', 'Samantha');
    expect((await admin.get(`/api/v1/users/${user.id}`)).body.displayName).toBe('Samantha');

    await ok('admin', 'users', 'suspend', email);
    expect((await admin.get(`/api/v1/users/${user.id}`)).body.status).toBe('suspended');
    await ok('admin', 'users', 'reactivate', user.id);
    expect((await admin.get(`/api/v1/users/${user.id}`)).body.status).toBe('active');

    const reset = (await ok('admin', 'users', 'reset-password', email, '--json')).json();
    expect(reset).toMatchObject({ delivery: 'manual', link: expect.any(String) });

    const activity = await ok('admin', 'users', 'activity', email);
    expect(activity.stdout).toMatch(/Last login:\s+never/);
    expect(activity.stdout).toContain('password_reset.requested');
    expect((await ok('admin', 'users', 'activity', user.id, '--json')).json()).toEqual((await admin.get(`/api/v1/users/${user.id}/activity`)).body);

    // A dry run shows the role in each tenant before and after, and moves nobody.
    const preview = await ok('admin', 'users', 'move', email, '--to', 'acme', '--role', 'viewer', '--dry-run');
    expect(preview.stdout).toContain('Nothing was changed');
    expect(preview.stdout).toMatch(/acme\s+\(none\)\s+Viewer\s+\(changes\)/);
    expect((await admin.get(`/api/v1/users/${user.id}`)).body.homeTenant).toBe('default');
    const moved = (await ok('admin', 'users', 'move', email, '--to', 'acme', '--role', 'viewer', '--json')).json();
    expect(moved.homeTenant).toBe('acme');
    expect((await admin.inTenant('acme').get(`/api/v1/users/${user.id}`)).body).toMatchObject({ homeTenant: 'acme', role: 'Viewer' });
  });

  it('roles: create in a tenant, show, update permissions, delete; built-in roles stay fixed', async () => {
    await ok('--tenant', 'acme', 'admin', 'roles', 'create', 'finance-auditor', '--permission', 'viewusers,ViewAuditLogs', '--description', 'Reads');
    const shown = await ok('admin', 'roles', 'show', 'Finance-Auditor', '--tenant', 'acme', '--json');
    const role = shown.json();
    expect(role).toMatchObject({ name: 'finance-auditor', scope: 'tenant', permissions: ['ViewUsers', 'ViewAuditLogs'] });
    expect((await sophon('admin', 'roles', 'show', 'finance-auditor')).code).toBe(4); // not usable in default

    await ok('admin', 'roles', 'update', 'finance-auditor', '--tenant', 'acme', '--add-permission', 'ExportAuditLogs', '--remove-permission', 'ViewUsers');
    expect((await admin.inTenant('acme').get(`/api/v1/roles/${role.id}`)).body.permissions).toEqual(['ViewAuditLogs', 'ExportAuditLogs']);
    await ok('admin', 'roles', 'update', role.id, '--tenant', 'acme', '--permission', 'ViewUsers', '--name', 'auditor');
    expect((await admin.inTenant('acme').get(`/api/v1/roles/${role.id}`)).body).toMatchObject({ name: 'auditor', permissions: ['ViewUsers'] });

    expect((await ok('admin', 'roles', 'list', '--tenant', 'acme')).stdout).toMatch(/auditor\s+tenant/);
    await ok('admin', 'roles', 'delete', 'auditor', '--tenant', 'acme', '--yes');
    expect((await admin.inTenant('acme').get(`/api/v1/roles/${role.id}`)).status).toBe(404);

    const builtIn = await sophon('admin', 'roles', 'delete', 'admin', '--yes');
    expect(builtIn.code).toBe(1);
    expect(builtIn.stderr).toContain('ROLE_IS_BUILT_IN');
  });

  it('tenants list and audit list in human form', async () => {
    expect((await ok('admin', 'tenants', 'list')).stdout).toMatch(/acme\s+Acme Corp\s+Admin/);
    const audit = await ok('admin', 'audit', 'list', '--category', 'tenants');
    expect(audit.stdout).toMatch(/tenants\s+tenant\.created/);
    expect((await ok('admin', 'audit', 'list', '--until', '2000-01-01')).stdout).toContain('No matching audit events.');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from './support/api-client.ts';
import { ADMIN_EMAIL, createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

describe.each(engines)('first run on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine, { keepOneTimePassword: true });
  });
  afterAll(() => test.close());

  it('prints the bootstrap Admin a one-time password that must be changed before anything else', async () => {
    const line = test.printed.find((printed) => printed.includes('one-time password: '));
    expect(line).toBeDefined();
    const oneTime = line!.split('one-time password: ')[1]!.trim();

    const { client, response } = await login(test.url, ADMIN_EMAIL, oneTime);
    expect(response.status).toBe(200);
    expect(response.body.mustChangePassword).toBe(true);
    const blocked = await client.get('/api/v1/users');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');

    const changed = await client.post('/api/v1/auth/password', { currentPassword: oneTime, newPassword: 'the new admin password' });
    expect(changed.status).toBe(200);
    expect((await client.get('/api/v1/users')).status).toBe(200);
  });

  it('walks the admin story: a tenant, a custom role, a user who gets 403s naming what they lack', async () => {
    const { client: admin } = await login(test.url, ADMIN_EMAIL, 'the new admin password');
    const tenant = await admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme Corp' });
    expect(tenant.status).toBe(201);

    const acmeAdmin = admin.inTenant('acme');
    const role = await acmeAdmin.post('/api/v1/roles', {
      name: 'workflow-editor',
      description: 'Edits workflows',
      permissions: ['ViewUsers', 'ManageWorkflows', 'ManageCronJobs', 'ManageWebhooks', 'ApproveActions', 'ViewAuditLogs'],
    });
    expect(role.status).toBe(201);
    expect(role.body.scope).toBe('tenant');

    const editor = await createSignedInUser(test, { role: 'workflow-editor', tenant: 'acme' }, acmeAdmin);
    expect((await editor.client.post('/api/v1/workflows', { name: 'nightly' })).status).toBe(201);

    const denied = await editor.client.post('/api/v1/documents', { name: 'secret plan' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageDocuments' });
    expect(denied.body.error.message).toContain('ManageDocuments');
    expect(denied.body.error.message).toContain('acme');

    const noUsers = await editor.client.post('/api/v1/users', { email: 'x@example.test', displayName: 'X' });
    expect(noUsers.body.error.missingPermission).toBe('ManageUsers');
  });

  it('prints nothing about a password on a later start', async () => {
    expect(test.printed.filter((line) => line.includes('one-time password')).length).toBe(1);
  });
});

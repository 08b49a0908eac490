import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions } from '../src/domain/permissions.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

describe.each(engines)('guards around more privileged users on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/roles', { name: 'role-assigner', permissions: ['AssignRoles', 'ViewUsers', 'ManageUsers'] })).status).toBe(201);
    expect((await test.admin.post('/api/v1/roles', { name: 'read-users', permissions: ['ViewUsers'] })).status).toBe(201);
    expect((await test.admin.post('/api/v1/roles', { name: 'everything-but-admin', permissions: [...allPermissions] })).status).toBe(201);
  });
  afterAll(() => test.close());

  it('refuses a role assigner who tries to demote, suspend or delete an Admin', async () => {
    const assigner = await createSignedInUser(test, { role: 'role-assigner' });
    const admin = await createSignedInUser(test, { role: 'Admin' });
    for (const attempt of [
      assigner.client.put(`/api/v1/users/${admin.id}/role`, { role: 'read-users' }),
      assigner.client.post(`/api/v1/users/${admin.id}/suspend`),
      assigner.client.delete(`/api/v1/users/${admin.id}`),
    ]) {
      const answer = await attempt;
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('TARGET_MORE_PRIVILEGED');
    }
    expect((await test.admin.get(`/api/v1/users/${admin.id}`)).body).toMatchObject({ role: 'Admin', status: 'active' });
  });

  it('lets the role assigner manage users holding no more than they do', async () => {
    const assigner = await createSignedInUser(test, { role: 'role-assigner' });
    const reader = await createSignedInUser(test, { role: 'read-users' });
    expect((await assigner.client.post(`/api/v1/users/${reader.id}/suspend`)).status).toBe(200);
    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    const refused = await assigner.client.post(`/api/v1/users/${viewer.id}/suspend`);
    expect(refused.body.error).toMatchObject({ code: 'TARGET_MORE_PRIVILEGED' });
    expect(refused.body.error.permissionsNotHeld).toContain('ViewAuditLogs');
  });

  it('never removes the last active Admin of default from it, by any route', async () => {
    // A user at home in acme becomes the only Admin of default.
    const outsider = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
    expect((await test.admin.put(`/api/v1/users/${outsider.id}/role`, { role: 'Admin' })).status).toBe(200);
    const me = await test.admin.get('/api/v1/me');
    const others = (await test.admin.get('/api/v1/users?limit=200')).body.items.filter(
      (user: { id: string; role: string }) => user.role === 'Admin' && user.id !== outsider.id && user.id !== me.body.user.id,
    );
    for (const other of others) await test.admin.put(`/api/v1/users/${other.id}/role`, { role: 'Viewer' });
    const holder = await createSignedInUser(test, { role: 'everything-but-admin' });
    expect((await outsider.client.inTenant('default').put(`/api/v1/users/${me.body.user.id}/role`, { role: 'Viewer' })).status).toBe(200);

    const removal = await holder.client.delete(`/api/v1/users/${outsider.id}/role`);
    expect(removal.status).toBe(409);
    expect(removal.body.error.code).toBe('LAST_ADMIN');
  });
});

describe.each(engines)('effective permissions on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
    await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' });
  });
  afterAll(() => test.close());

  it('lists installation-wide permissions only where they take effect, in default', async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
    const me = await acmeAdmin.client.get('/api/v1/me');
    expect(me.body.tenant.slug).toBe('acme');
    expect(me.body.tenant.permissions).toContain('ManageUsers');
    expect(me.body.tenant.permissions).not.toContain('ManageTenants');
    expect(me.body.permissions).not.toContain('ManageTenants');
    expect(me.body.user.passwordHash).toBeUndefined();
    expect(me.body.user).not.toHaveProperty('passwordExpiresAt');
    expect((await acmeAdmin.client.post('/api/v1/tenants', { slug: 'other', name: 'Other' })).body.error.missingPermission).toBe('ManageTenants');

    const bootstrap = await test.admin.get('/api/v1/me');
    expect(bootstrap.body.tenant.permissions).toContain('ManageTenants');
  });
});

describe.each(engines)('one-time link guessing on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it('throttles link redemption per source address, then lets the real link through', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    const token = new URL(reset.body.link).hash.replace('#token=', '');
    for (let guess = 0; guess < 12; guess++) {
      expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token: `guess-${guess}-${'x'.repeat(30)}`, newPassword: 'whatever passphrase' })).status).toBe(400);
    }
    const blocked = await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'the right new passphrase' });
    expect(blocked.body.error.code).toBe('LINK_INVALID');
    test.clock.advance(30 * 60_000); // past the per-address wait, still within the 1 h link lifetime
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'the right new passphrase' })).status).toBe(200);
  });
});

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

  it("keeps one tenant's admin from taking over an account that holds more in another tenant", async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
    // At home in acme, and also Admin of default: whoever controls this account is an installation Admin.
    const dual = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' }, test.admin.inTenant('acme'));
    expect((await test.admin.put(`/api/v1/tenants/default/members/${dual.id}`, { role: 'Admin' })).status).toBe(200);

    const acme = acmeAdmin.client.inTenant('acme');
    for (const attempt of [
      acme.post(`/api/v1/users/${dual.id}/reset-password`),
      acme.patch(`/api/v1/users/${dual.id}`, { email: 'attacker-controlled@example.test' }),
      acme.post(`/api/v1/users/${dual.id}/reset-2fa`),
      acme.post(`/api/v1/users/${dual.id}/suspend`),
      acme.delete(`/api/v1/users/${dual.id}`),
    ]) {
      const answer = await attempt;
      expect(answer.status, JSON.stringify(answer.body)).toBe(403);
      expect(answer.body.error).toMatchObject({ code: 'TARGET_MORE_PRIVILEGED', tenant: 'default' });
      expect(answer.body.error.message).toContain('"default"');
    }
    expect((await test.admin.get(`/api/v1/users/${dual.id}`)).body).toMatchObject({ email: dual.email, status: 'active' });
    // The same admin still manages acme users who hold nothing beyond acme.
    const plain = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' }, test.admin.inTenant('acme'));
    expect((await acme.post(`/api/v1/users/${plain.id}/reset-password`)).status).toBe(200);
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

describe.each(engines)('the installation and its tenants on %s', (engine) => {
  let test: TestServer;
  let alice: Awaited<ReturnType<typeof createSignedInUser>>;
  beforeAll(async () => {
    test = await startTestServer(engine);
    await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' });
    alice = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
  });
  afterAll(() => test.close());

  it('lets the installation Admin back into a tenant whose admin removed them', async () => {
    const me = (await test.admin.get('/api/v1/me')).body.user.id;
    expect((await alice.client.put(`/api/v1/users/${me}/role`, { role: 'Viewer' })).status).toBe(200);
    expect((await alice.client.delete(`/api/v1/users/${me}/role`)).status).toBe(204);
    expect((await test.admin.inTenant('acme').get('/api/v1/users')).body.error.code).toBe('TENANT_NOT_FOUND');

    const refused = await alice.client.put(`/api/v1/tenants/acme/members/${alice.id}`, { role: 'Admin' });
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageTenants', tenant: 'default' });

    const back = await test.admin.put(`/api/v1/tenants/acme/members/${me}`, { role: 'Admin' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ tenant: 'acme', role: 'Admin' });
    expect((await test.admin.inTenant('acme').get('/api/v1/users')).status).toBe(200);
    const trail = (await test.admin.inTenant('acme').get('/api/v1/audit?category=rbac')).body.items;
    expect(trail[0]).toMatchObject({ action: 'role.assigned', subjectId: me, detail: { via: 'installation (ManageTenants)' } });
  });

  it('makes installation-wide permissions in a role of another tenant inert', async () => {
    const role = await alice.client.post('/api/v1/roles', { name: 'big', permissions: ['ManageTenants', 'ViewUsers'] });
    expect(role.status).toBe(201);
    const holder = await createSignedInUser(test, { role: 'big', tenant: 'acme' }, alice.client);
    const me = await holder.client.get('/api/v1/me');
    expect(me.body.tenant.permissions).toEqual(['ViewUsers']);
    expect((await holder.client.post('/api/v1/tenants', { slug: 'mine', name: 'Mine' })).body.error).toMatchObject({ missingPermission: 'ManageTenants', tenant: 'default' });
    // A global role, which can be held in default, needs them held there.
    const global = await alice.client.post('/api/v1/roles', { name: 'big-global', scope: 'global', permissions: ['ViewUsers'] });
    expect(global.body.error.missingPermission).toBe('ManageRoles');
  });

  it("counts a global role's holders in the tenant looking at it only", async () => {
    const role = await test.admin.post('/api/v1/roles', { name: 'global-reader', scope: 'global', permissions: ['ViewUsers'] });
    await createSignedInUser(test, { role: 'global-reader' });
    expect((await test.admin.get(`/api/v1/roles/${role.body.id}`)).body.usedBy).toBe(1);
    expect((await alice.client.get(`/api/v1/roles/${role.body.id}`)).body.usedBy).toBe(0);
  });

  it("writes a user's deletion into the trail of every tenant they belonged to", async () => {
    const leaver = await createSignedInUser(test, { role: 'Viewer' });
    expect((await test.admin.inTenant('acme').put(`/api/v1/users/${leaver.id}/role`, { role: 'Viewer' })).status).toBe(200);
    expect((await test.admin.delete(`/api/v1/users/${leaver.id}`)).status).toBe(200);
    const acmeTrail = (await alice.client.get(`/api/v1/audit?user=${leaver.id}&category=users`)).body.items;
    expect(acmeTrail[0]).toMatchObject({ action: 'user.deleted', diff: { before: { role: 'Viewer' }, after: null } });
  });

  it('points one-time links at the address the server listens on when no PublicUrl is set', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    expect(reset.body.link.startsWith(`${test.url}/set-password#token=`)).toBe(true);
  });

  it('names the wrong field of a second-factor answer', async () => {
    const answer = await test.anonymous.post('/api/v1/auth/login/two-factor', { challenge: 'abc', code: 123456 });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('code');
    const both = await test.anonymous.post('/api/v1/auth/login/two-factor', { challenge: 'abc', code: '123456', recoveryCode: 'x' });
    expect(both.body.error.message).toContain('exactly one');
  });
});

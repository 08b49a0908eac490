import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions, installationWidePermissions } from '../src/domain/permissions.ts';
import { builtInPermissions } from '../src/domain/roles/role.ts';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

/**
 * Two tenants, alpha and beta, each with its own Admin who has no role in the other. What
 * lives in alpha doesn't exist for beta's Admin: 404, never 403.
 */
describe.each(engines)('tenant isolation on %s', (engine) => {
  let test: TestServer;
  let alphaAdmin: ApiClient;
  let betaAdmin: ApiClient;
  let alphaUser: { id: string; email: string; client: ApiClient };
  let alphaRoleId: string;
  let alphaWorkflowId: string;
  let alphaTokenId: string;

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['alpha', 'beta']) expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    alphaAdmin = (await createSignedInUser(test, { role: 'Admin', tenant: 'alpha' }, test.admin.inTenant('alpha'))).client;
    betaAdmin = (await createSignedInUser(test, { role: 'Admin', tenant: 'beta' }, test.admin.inTenant('beta'))).client;

    const role = await alphaAdmin.post('/api/v1/roles', { name: 'alpha-editor', permissions: ['ViewUsers', 'ManageWorkflows'] });
    expect(role.status).toBe(201);
    alphaRoleId = role.body.id;
    alphaUser = await createSignedInUser(test, { role: 'alpha-editor', tenant: 'alpha' }, alphaAdmin);
    const workflow = await alphaUser.client.post('/api/v1/workflows', { name: 'alpha payroll' });
    expect(workflow.status).toBe(201);
    alphaWorkflowId = workflow.body.id;
    const token = await alphaUser.client.post('/api/v1/me/tokens', { name: 'alpha ci', expiresIn: '30d' });
    expect(token.status).toBe(201);
    alphaTokenId = token.body.token.id;
  });
  afterAll(() => test.close());

  const expectNotFound = async (attempt: Promise<{ status: number; body: any }>, code: string) => {
    const response = await attempt;
    expect(response.status, JSON.stringify(response.body)).toBe(404);
    expect(response.body.error.code).toBe(code);
  };

  it("answers 404 for another tenant's users, whatever the action", async () => {
    const path = `/api/v1/users/${alphaUser.id}`;
    await expectNotFound(betaAdmin.get(path), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.patch(path, { displayName: 'hijacked' }), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.post(`${path}/suspend`), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.delete(path), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.get(`${path}/effective-permissions`), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.post(`${path}/logout`), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.delete(`${path}/role`), 'USER_NOT_FOUND');
    expect((await alphaAdmin.get(path)).body.displayName).not.toBe('hijacked');
  });

  it("doesn't let another tenant's admin pull a user into their tenant by id or email", async () => {
    await expectNotFound(betaAdmin.put(`/api/v1/users/${alphaUser.id}/role`, { role: 'Viewer' }), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.put(`/api/v1/users/${alphaUser.email}/role`, { role: 'Viewer' }), 'USER_NOT_FOUND');
    const unknown = await betaAdmin.put('/api/v1/users/nobody@example.test/role', { role: 'Viewer' });
    expect(unknown.status).toBe(404);
    expect((await betaAdmin.get(`/api/v1/users/${alphaUser.id}`)).status).toBe(404);
  });

  it("keeps another tenant's users out of the user list and search", async () => {
    const list = await betaAdmin.get(`/api/v1/users?search=${encodeURIComponent(alphaUser.email)}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });

  it("answers 404 for another tenant's custom roles", async () => {
    const path = `/api/v1/roles/${alphaRoleId}`;
    await expectNotFound(betaAdmin.get(path), 'ROLE_NOT_FOUND');
    await expectNotFound(betaAdmin.patch(path, { permissions: ['ViewUsers'] }), 'ROLE_NOT_FOUND');
    await expectNotFound(betaAdmin.delete(path), 'ROLE_NOT_FOUND');
    const names = (await betaAdmin.get('/api/v1/roles')).body.items.map((role: { name: string }) => role.name);
    expect(names).not.toContain('alpha-editor');
    const assign = await betaAdmin.post('/api/v1/users', { email: `beta-${Date.now()}@example.test`, displayName: 'B', role: alphaRoleId, password: 'a long enough password' });
    expect(assign.status).toBe(404);
    expect(assign.body.error.code).toBe('ROLE_NOT_FOUND');
  });

  it("answers 404 for another tenant's agents, workflows, memory and documents", async () => {
    const path = `/api/v1/workflows/${alphaWorkflowId}`;
    await expectNotFound(betaAdmin.get(path), 'RESOURCE_NOT_FOUND');
    await expectNotFound(betaAdmin.patch(path, { name: 'renamed by beta' }), 'RESOURCE_NOT_FOUND');
    await expectNotFound(betaAdmin.delete(path), 'RESOURCE_NOT_FOUND');
    expect((await betaAdmin.get('/api/v1/workflows')).body.items).toEqual([]);
    expect((await alphaAdmin.get(path)).body.name).toBe('alpha payroll');
  });

  it("answers 404 for another tenant's API tokens", async () => {
    await expectNotFound(betaAdmin.get(`/api/v1/tokens?user=${alphaUser.id}`), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.get(`/api/v1/users/${alphaUser.id}/tokens`), 'USER_NOT_FOUND');
    await expectNotFound(betaAdmin.delete(`/api/v1/tokens/${alphaTokenId}`), 'TOKEN_NOT_FOUND');
    expect((await alphaAdmin.get(`/api/v1/users/${alphaUser.id}/tokens`)).body.items[0].revokedAt).toBeNull();
  });

  it("keeps another tenant's audit trail out of sight", async () => {
    const byUser = await betaAdmin.get(`/api/v1/audit?user=${alphaUser.id}`);
    expect(byUser.status).toBe(200);
    expect(byUser.body.items).toEqual([]);
    const all = await betaAdmin.get('/api/v1/audit?limit=500');
    const subjects = all.body.items.map((event: { subjectId: string }) => event.subjectId);
    expect(subjects).not.toContain(alphaWorkflowId);
    expect(subjects).not.toContain(alphaRoleId);
    expect(all.body.items.every((event: { tenantId: string }) => event.tenantId === all.body.items[0].tenantId)).toBe(true);
  });

  it('answers 404 TENANT_NOT_FOUND to X-Sophon-Tenant naming a tenant the caller has no role in', async () => {
    await expectNotFound(betaAdmin.inTenant('alpha').get('/api/v1/users'), 'TENANT_NOT_FOUND');
    await expectNotFound(betaAdmin.inTenant('default').get('/api/v1/me'), 'TENANT_NOT_FOUND');
    const missing = await betaAdmin.inTenant('no-such-tenant').get('/api/v1/users');
    const hidden = await betaAdmin.inTenant('alpha').get('/api/v1/users');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message.replace('no-such-tenant', 'X')).toBe(hidden.body.error.message.replace('alpha', 'X'));
  });

  it("answers 404 for another tenant itself, by slug", async () => {
    await expectNotFound(betaAdmin.get('/api/v1/tenants/alpha'), 'TENANT_NOT_FOUND');
    const mine = (await betaAdmin.get('/api/v1/tenants')).body.items.map((tenant: { slug: string }) => tenant.slug);
    expect(mine).toEqual(['beta']);
  });

  it('applies a role change on the very next request', async () => {
    const member = await createSignedInUser(test, { role: 'Viewer', tenant: 'alpha' }, alphaAdmin);
    expect((await member.client.post('/api/v1/workflows', { name: 'first try' })).status).toBe(403);

    expect((await alphaAdmin.put(`/api/v1/users/${member.id}/role`, { role: 'alpha-editor' })).status).toBe(200);
    expect((await member.client.post('/api/v1/workflows', { name: 'second try' })).status).toBe(201);

    expect((await alphaAdmin.put(`/api/v1/users/${member.id}/role`, { role: 'Viewer' })).status).toBe(200);
    const denied = await member.client.post('/api/v1/workflows', { name: 'third try' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.missingPermission).toBe('ManageWorkflows');
  });

  it('applies a change to the permissions of a role on the very next request', async () => {
    const role = await alphaAdmin.post('/api/v1/roles', { name: 'shifting', permissions: ['ViewUsers'] });
    const member = await createSignedInUser(test, { role: 'shifting', tenant: 'alpha' }, alphaAdmin);
    expect((await member.client.post('/api/v1/documents', { name: 'memo' })).status).toBe(403);
    expect((await alphaAdmin.patch(`/api/v1/roles/${role.body.id}`, { permissions: ['ViewUsers', 'ManageDocuments'] })).status).toBe(200);
    expect((await member.client.post('/api/v1/documents', { name: 'memo' })).status).toBe(201);
  });

  describe('a user who is Admin in alpha and Viewer in beta', () => {
    let dual: { id: string; email: string; client: ApiClient };

    beforeAll(async () => {
      dual = await createSignedInUser(test, { role: 'Admin', tenant: 'alpha' }, test.admin.inTenant('alpha'));
      const added = await test.admin.inTenant('beta').put(`/api/v1/users/${dual.id}/role`, { role: 'Viewer' });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      expect(added.body.role).toBe('Viewer');
    });

    it('manages users in alpha but is refused in beta, naming beta', async () => {
      expect((await dual.client.inTenant('alpha').get('/api/v1/users')).status).toBe(200);
      expect((await dual.client.inTenant('beta').get('/api/v1/users')).status).toBe(200);
      const refused = await dual.client.inTenant('beta').post('/api/v1/users', { email: 'x@example.test', displayName: 'X' });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageUsers' });
      expect(refused.body.error.message).toContain('"beta"');
    });

    it('acts in its home tenant when no tenant is named', async () => {
      const me = await dual.client.inTenant(undefined).get('/api/v1/me');
      expect(me.body.tenant).toMatchObject({ slug: 'alpha', role: 'Admin' });
    });

    it('sees its role per tenant and the flat deduplicated list in /me', async () => {
      const me = await dual.client.inTenant('beta').get('/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.tenant).toMatchObject({ slug: 'beta', role: 'Viewer' });
      const roles = Object.fromEntries(me.body.tenants.map((entry: { tenantSlug: string; roleName: string }) => [entry.tenantSlug, entry.roleName]));
      expect(roles).toEqual({ alpha: 'Admin', beta: 'Viewer' });
      expect(new Set(me.body.permissions).size).toBe(me.body.permissions.length);
      // Installation-wide permissions count only through a role in `default`, where this user has none.
      expect([...me.body.permissions].sort()).toEqual(allPermissions.filter((permission) => !installationWidePermissions.has(permission)).sort());
    });

    it('shows both tenants in effective permissions to an admin of both', async () => {
      const effective = await test.admin.inTenant('alpha').get(`/api/v1/users/${dual.id}/effective-permissions`);
      expect(effective.status).toBe(200);
      const perTenant = Object.fromEntries(effective.body.tenants.map((entry: { tenantSlug: string; permissions: string[] }) => [entry.tenantSlug, entry.permissions]));
      expect(perTenant.alpha).toEqual(withoutInstallationWide('admin'));
      expect(perTenant.beta).toEqual(withoutInstallationWide('viewer'));
      expect(effective.body.permissions).toEqual([...new Set([...perTenant.alpha, ...perTenant.beta])].sort());
    });

    it("shows beta's admin only the beta part of the user's permissions", async () => {
      const effective = await betaAdmin.get(`/api/v1/users/${dual.id}/effective-permissions`);
      expect(effective.status).toBe(200);
      expect(effective.body.tenants.map((entry: { tenantSlug: string }) => entry.tenantSlug)).toEqual(['beta']);
      expect(effective.body.permissions).toEqual([...withoutInstallationWide('viewer')].sort());
    });

    it("doesn't let beta's admin suspend or delete a user whose home is alpha", async () => {
      const suspend = await betaAdmin.post(`/api/v1/users/${dual.id}/suspend`);
      expect(suspend.status).toBe(403);
      expect(suspend.body.error.missingPermission).toBe('ManageUsers');
      expect((await betaAdmin.delete(`/api/v1/users/${dual.id}`)).status).toBe(403);
      expect((await dual.client.get('/api/v1/me')).status).toBe(200);
    });
  });

  it('lets a new tenant start with no custom roles of another tenant and no members but its creator', async () => {
    expect((await test.admin.post('/api/v1/tenants', { slug: 'gamma', name: 'Gamma' })).status).toBe(201);
    const users = await test.admin.inTenant('gamma').get('/api/v1/users');
    expect(users.body.items).toHaveLength(1);
    const roles = (await test.admin.inTenant('gamma').get('/api/v1/roles')).body.items.map((role: { name: string }) => role.name);
    expect(roles).toEqual(['Admin', 'Operator', 'Viewer']);
  });

  it('shows a member of both tenants each tenant\'s data only in that tenant', async () => {
    const inAlpha = await test.admin.inTenant('alpha').get(`/api/v1/workflows/${alphaWorkflowId}`);
    expect(inAlpha.status).toBe(200);
    const inBeta = await test.admin.inTenant('beta').get(`/api/v1/workflows/${alphaWorkflowId}`);
    expect(inBeta.status).toBe(404);
  });

  describe('tenants themselves', () => {
    it('refuses an invalid or taken slug, saying why', async () => {
      const invalid = await test.admin.post('/api/v1/tenants', { slug: 'Not A Slug', name: 'X' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('TENANT_SLUG_INVALID');
      // A slug shaped like a tenant id would make X-Sophon-Tenant ambiguous: it could stand in for that tenant.
      const alphaId = (await test.admin.get('/api/v1/tenants')).body.items.find((tenant: { slug: string }) => tenant.slug === 'alpha').id;
      const idShaped = await test.admin.post('/api/v1/tenants', { slug: alphaId, name: 'Shadow' });
      expect(idShaped.status).toBe(400);
      expect(idShaped.body.error).toMatchObject({ code: 'TENANT_SLUG_AMBIGUOUS', message: expect.stringContaining('shaped like a tenant id') });
      const taken = await test.admin.post('/api/v1/tenants', { slug: 'alpha', name: 'Alpha again' });
      expect(taken.status).toBe(409);
      expect(taken.body.error.code).toBe('TENANT_SLUG_TAKEN');
    });

    it('creates one tenant when many requests race for the same slug', async () => {
      const responses = await Promise.all(Array.from({ length: 6 }, () => test.admin.post('/api/v1/tenants', { slug: 'raced', name: 'Raced' })));
      expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 409)).toHaveLength(5);
    });

    it('makes the creator Admin of the new tenant, and shows every tenant to a holder of ManageTenants', async () => {
      const tenants = (await test.admin.get('/api/v1/tenants')).body.items;
      expect(tenants.find((tenant: { slug: string }) => tenant.slug === 'alpha')).toMatchObject({ myRole: 'Admin' });
      expect(tenants.map((tenant: { slug: string }) => tenant.slug)).toEqual(expect.arrayContaining(['default', 'alpha', 'beta']));
    });

    it("doesn't let a tenant's own Admin rename or delete it: tenants are managed from default", async () => {
      const refused = await alphaAdmin.patch('/api/v1/tenants/alpha', { name: 'Mine now' });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageTenants' });
      expect(refused.body.error.message).toContain('"default"');
      expect((await test.admin.patch('/api/v1/tenants/alpha', { name: 'Alpha Corp' })).body.name).toBe('Alpha Corp');
    });

    it('refuses to delete default, or a tenant that still has users or resources', async () => {
      expect((await test.admin.delete('/api/v1/tenants/default')).body.error).toMatchObject({ code: 'TENANT_IS_DEFAULT', message: "The default tenant is the installation's home and cannot be deleted." });
      const busy = await test.admin.delete('/api/v1/tenants/alpha');
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe('TENANT_NOT_EMPTY');
    });

    it('deletes an empty tenant, after which it is not found', async () => {
      await test.admin.post('/api/v1/tenants', { slug: 'fleeting', name: 'Fleeting' });
      await test.admin.inTenant('fleeting').post('/api/v1/roles', { name: 'fleeting-role', permissions: [] });
      expect((await test.admin.delete('/api/v1/tenants/fleeting')).status).toBe(204);
      expect((await test.admin.inTenant('fleeting').get('/api/v1/me')).status).toBe(404);
      expect((await test.admin.get('/api/v1/tenants/fleeting')).status).toBe(404);
    });
  });
});

function withoutInstallationWide(roleId: string): string[] {
  return builtInPermissions(roleId)!.filter((permission) => !installationWidePermissions.has(permission));
}

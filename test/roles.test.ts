import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions } from '../src/domain/permissions.ts';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

describe.each(engines)('roles on %s', (engine) => {
  let test: TestServer;
  let acme: ApiClient;

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['acme', 'globex']) expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    acme = test.admin.inTenant('acme');
  });
  afterAll(() => test.close());

  describe('built-in roles', () => {
    it('lists Admin with every permission, and Operator and Viewer', async () => {
      const roles = (await test.admin.get('/api/v1/roles')).body.items;
      const byName = Object.fromEntries(roles.map((role: { name: string }) => [role.name, role]));
      expect(byName.Admin).toMatchObject({ builtIn: true, scope: 'global', permissions: [...allPermissions] });
      expect(byName.Operator.builtIn).toBe(true);
      expect(byName.Viewer.builtIn).toBe(true);
      expect(byName.Operator.permissions).not.toContain('ManageUsers');
      expect(byName.Viewer.permissions.every((permission: string) => permission.startsWith('View'))).toBe(true);
    });

    it.each(['admin', 'operator', 'viewer'])('refuses to edit or delete %s', async (id) => {
      const edit = await test.admin.patch(`/api/v1/roles/${id}`, { permissions: ['ViewUsers'] });
      expect(edit.status).toBe(409);
      expect(edit.body.error.code).toBe('ROLE_IS_BUILT_IN');
      expect(edit.body.error.message).toMatch(/built-in/);
      const remove = await test.admin.delete(`/api/v1/roles/${id}`);
      expect(remove.status).toBe(409);
      expect(remove.body.error.code).toBe('ROLE_IS_BUILT_IN');
      expect((await test.admin.get(`/api/v1/roles/${id}`)).status).toBe(200);
    });
  });

  describe('custom roles', () => {
    it('creates a role with a name, description and permissions, scoped to the tenant by default', async () => {
      const created = await acme.post('/api/v1/roles', {
        name: 'finance-auditor',
        description: 'Observes, never modifies',
        permissions: ['ViewUsers', 'ViewAuditLogs', 'ExportAuditLogs', 'ManageCompliance', 'ViewSystemHealth', 'ViewLicense'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'finance-auditor', description: 'Observes, never modifies', scope: 'tenant', builtIn: false, usedBy: 0 });
      expect((await acme.get(`/api/v1/roles/${created.body.id}`)).body.name).toBe('finance-auditor');
    });

    it('stores permissions deduplicated, in catalogue order', async () => {
      const created = await acme.post('/api/v1/roles', { name: 'dedup', permissions: ['ViewAuditLogs', 'ViewUsers', 'ViewUsers'] });
      expect(created.body.permissions).toEqual(['ViewUsers', 'ViewAuditLogs']);
    });

    it('rejects unknown permission names, naming them', async () => {
      const refused = await acme.post('/api/v1/roles', { name: 'typo', permissions: ['ViewUsers', 'ManageUnicorns', 'viewusers'] });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'PERMISSION_UNKNOWN', unknownPermissions: ['ManageUnicorns', 'viewusers'] });
      expect(refused.body.error.message).toContain('ManageUnicorns');
      const editing = await acme.post('/api/v1/roles', { name: 'typo', permissions: ['ViewUsers'] });
      expect((await acme.patch(`/api/v1/roles/${editing.body.id}`, { permissions: ['ManageUnicorns'] })).body.error.code).toBe('PERMISSION_UNKNOWN');
    });

    it('rejects names that are empty or full of symbols', async () => {
      for (const name of ['', '   ', '<script>', '-leading-dash']) {
        const refused = await acme.post('/api/v1/roles', { name, permissions: [] });
        expect(refused.status, name).toBe(400);
        expect(refused.body.error.code).toBe('ROLE_NAME_INVALID');
      }
    });

    it('keeps names unique within a tenant, case-insensitively', async () => {
      expect((await acme.post('/api/v1/roles', { name: 'workflow-editor', permissions: ['ManageWorkflows'] })).status).toBe(201);
      const again = await acme.post('/api/v1/roles', { name: 'Workflow-Editor', permissions: [] });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('ROLE_NAME_TAKEN');
    });

    it('allows the same name in another tenant', async () => {
      expect((await test.admin.inTenant('globex').post('/api/v1/roles', { name: 'workflow-editor', permissions: [] })).status).toBe(201);
    });

    it('refuses the name of a built-in role', async () => {
      for (const name of ['Admin', 'operator', ' VIEWER ']) {
        const refused = await acme.post('/api/v1/roles', { name, permissions: [] });
        expect(refused.status, name).toBe(409);
        expect(refused.body.error.code).toBe('ROLE_NAME_TAKEN');
      }
    });

    it('refuses renaming a role onto another name in use', async () => {
      const role = await acme.post('/api/v1/roles', { name: 'renamable', permissions: [] });
      const refused = await acme.patch(`/api/v1/roles/${role.body.id}`, { name: 'workflow-editor' });
      expect(refused.status).toBe(409);
      const renamed = await acme.patch(`/api/v1/roles/${role.body.id}`, { name: 'Renamed', description: 'new text' });
      expect(renamed.body).toMatchObject({ name: 'Renamed', description: 'new text' });
    });

    it("can't be deleted while a user holds it, and can once nobody does", async () => {
      const role = (await acme.post('/api/v1/roles', { name: 'in-use', permissions: ['ViewUsers'] })).body;
      const holder = await createSignedInUser(test, { role: 'in-use', tenant: 'acme' }, acme);
      expect((await acme.get(`/api/v1/roles/${role.id}`)).body.usedBy).toBe(1);
      const refused = await acme.delete(`/api/v1/roles/${role.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('ROLE_IN_USE');
      expect(refused.body.error.message).toContain('1 user');
      expect((await acme.put(`/api/v1/users/${holder.id}/role`, { role: 'Viewer' })).status).toBe(200);
      expect((await acme.delete(`/api/v1/roles/${role.id}`)).status).toBe(204);
      expect((await acme.get(`/api/v1/roles/${role.id}`)).status).toBe(404);
    });
  });

  describe('concurrent changes', () => {
    const created = (responses: { status: number }[]) => responses.filter((response) => response.status === 201).length;

    it('creates one global role when many requests race for the same name', async () => {
      const responses = await Promise.all(Array.from({ length: 8 }, () => test.admin.post('/api/v1/roles', { name: 'raced-global', permissions: [], scope: 'global' })));
      expect(created(responses)).toBe(1);
      expect(responses.every((response) => response.status === 201 || response.status === 409)).toBe(true);
    });

    it('creates one role when a global and a tenant role race for the same name', async () => {
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          index % 2 ? test.admin.post('/api/v1/roles', { name: 'raced-mixed', permissions: [], scope: 'global' }) : acme.post('/api/v1/roles', { name: 'raced-mixed', permissions: [] }),
        ),
      );
      expect(created(responses)).toBe(1);
    });

    it('creates one tenant role when many requests race for the same name', async () => {
      const responses = await Promise.all(Array.from({ length: 8 }, () => acme.post('/api/v1/roles', { name: 'raced-tenant', permissions: [] })));
      expect(created(responses)).toBe(1);
    });
  });

  describe('scope', () => {
    it('makes a global role visible and assignable in every tenant', async () => {
      const created = await test.admin.post('/api/v1/roles', { name: 'everywhere', permissions: ['ViewUsers'], scope: 'global' });
      expect(created.status).toBe(201);
      expect(created.body.scope).toBe('global');
      for (const tenant of ['acme', 'globex']) {
        const names = (await test.admin.inTenant(tenant).get('/api/v1/roles')).body.items.map((role: { name: string }) => role.name);
        expect(names, tenant).toContain('everywhere');
      }
      const member = await test.admin.inTenant('globex').post('/api/v1/users', { email: `everywhere-${engine}@example.test`, displayName: 'E', role: 'everywhere' });
      expect(member.status).toBe(201);
      expect(member.body.user.role).toBe('everywhere');
    });

    it('keeps a tenant role out of other tenants', async () => {
      const local = (await acme.post('/api/v1/roles', { name: 'acme-only', permissions: [] })).body;
      expect((await test.admin.inTenant('globex').get(`/api/v1/roles/${local.id}`)).status).toBe(404);
      const assign = await test.admin.inTenant('globex').post('/api/v1/users', { email: `acme-only-${engine}@example.test`, displayName: 'X', role: 'acme-only' });
      expect(assign.status).toBe(404);
      expect(assign.body.error.code).toBe('ROLE_NOT_FOUND');
    });

    it('refuses a tenant role named like a global one, and a global role named like any tenant role', async () => {
      expect((await acme.post('/api/v1/roles', { name: 'Everywhere', permissions: [] })).body.error.code).toBe('ROLE_NAME_TAKEN');
      expect((await test.admin.post('/api/v1/roles', { name: 'acme-only', permissions: [], scope: 'global' })).body.error.code).toBe('ROLE_NAME_TAKEN');
    });

    it('governs global roles from default: an Admin of acme alone may not create one', async () => {
      const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, acme);
      const refused = await acmeAdmin.client.post('/api/v1/roles', { name: 'grab', permissions: [], scope: 'global' });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageRoles' });
      expect(refused.body.error.message).toContain('"default"');
      const global = (await test.admin.get('/api/v1/roles')).body.items.find((role: { name: string }) => role.name === 'everywhere');
      expect((await acmeAdmin.client.patch(`/api/v1/roles/${global.id}`, { permissions: [] })).status).toBe(403);
    });
  });
});

describe.each(engines)('the custom role limit on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine, { environment: { Sophon__Rbac__MaxCustomRolesPerTenant: '2' } });
    for (const slug of ['acme', 'globex']) await test.admin.post('/api/v1/tenants', { slug, name: slug });
  });
  afterAll(() => test.close());

  it('refuses a third custom role in a tenant when the limit is 2', async () => {
    const acme = test.admin.inTenant('acme');
    expect((await acme.post('/api/v1/roles', { name: 'one', permissions: [] })).status).toBe(201);
    expect((await acme.post('/api/v1/roles', { name: 'two', permissions: [] })).status).toBe(201);
    const third = await acme.post('/api/v1/roles', { name: 'three', permissions: [] });
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('ROLE_LIMIT_REACHED');
    expect(third.body.error.message).toContain('2');
  });

  it('counts each tenant separately', async () => {
    expect((await test.admin.inTenant('globex').post('/api/v1/roles', { name: 'one', permissions: [] })).status).toBe(201);
  });

  it('holds the limit when creations race', async () => {
    await test.admin.post('/api/v1/tenants', { slug: 'initech', name: 'initech' });
    const initech = test.admin.inTenant('initech');
    const responses = await Promise.all(Array.from({ length: 6 }, (_, index) => initech.post('/api/v1/roles', { name: `racer-${index}`, permissions: [] })));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(2);
    expect(responses.filter((response) => response.body.error?.code === 'ROLE_LIMIT_REACHED')).toHaveLength(4);
  });

  it('frees a place when a role is deleted', async () => {
    const acme = test.admin.inTenant('acme');
    const two = (await acme.get('/api/v1/roles')).body.items.find((role: { name: string }) => role.name === 'two');
    expect((await acme.delete(`/api/v1/roles/${two.id}`)).status).toBe(204);
    expect((await acme.post('/api/v1/roles', { name: 'three', permissions: [] })).status).toBe(201);
  });
});

import { allPermissions } from '../src/domain/permissions.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';

/**
 * Users over the real server. No test in this file makes a second Admin of `default`
 * except the last-admin tests, which need the bootstrap Admin to be the only one at first.
 */
describe.each(engines)('users on %s', (engine) => {
  let test: TestServer;
  let adminId: string;

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    adminId = (await test.admin.get('/api/v1/me')).body.user.id;
  });
  afterAll(() => test.close());

  describe('creating', () => {
    it('takes the seed CSV columns: email, displayName, role, tenant, password', async () => {
      const email = uniqueEmail('ada');
      const created = await test.admin.post('/api/v1/users', { email, displayName: 'Ada Lovelace', role: 'Operator', tenant: 'acme', password: 'analytical engine 1843' });
      expect(created.status).toBe(201);
      expect(created.body.user).toMatchObject({ email, displayName: 'Ada Lovelace', role: 'Operator', homeTenant: 'acme', status: 'active', mustChangePassword: true });
      expect(created.body.user.passwordHash).toBeUndefined();
      expect(created.body.oneTimePassword).toBeUndefined();
      const { response } = await test.login(email, 'analytical engine 1843');
      expect(response.body.mustChangePassword).toBe(true);
    });

    it('never shows a password hash, in any view of a user', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      for (const path of ['/api/v1/users', `/api/v1/users/${user.id}`, `/api/v1/users/${user.id}/activity`]) {
        expect(JSON.stringify((await test.admin.get(path)).body), path).not.toMatch(/argon2|passwordHash/);
      }
      expect(JSON.stringify((await user.client.get('/api/v1/me')).body)).not.toMatch(/argon2|passwordHash/);
    });

    it('makes a user a Viewer of the tenant of the request when no role or tenant is given', async () => {
      const created = await test.admin.inTenant('acme').post('/api/v1/users', { email: uniqueEmail(), displayName: 'Plain' });
      expect(created.status).toBe(201);
      expect(created.body.user).toMatchObject({ role: 'Viewer', homeTenant: 'acme' });
    });

    it('refuses an email already taken, whatever its case', async () => {
      const email = uniqueEmail('Grace.Hopper');
      expect((await test.admin.post('/api/v1/users', { email, displayName: 'Grace' })).status).toBe(201);
      const again = await test.admin.post('/api/v1/users', { email: email.toUpperCase(), displayName: 'Grace again' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('EMAIL_TAKEN');
      const spaced = await test.admin.post('/api/v1/users', { email: `  ${email.toLowerCase()} `, displayName: 'Grace spaced' });
      expect(spaced.status).toBe(409);
    });

    it('creates one user when many requests race for the same email', async () => {
      const email = uniqueEmail('racer');
      const responses = await Promise.all(Array.from({ length: 6 }, (_, index) => test.admin.post('/api/v1/users', { email: index % 2 ? email : email.toUpperCase(), displayName: 'Racer' })));
      expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 409)).toHaveLength(5);
    });

    it('refuses an email taken in another tenant: emails are unique in the installation', async () => {
      const email = uniqueEmail('everywhere');
      expect((await test.admin.post('/api/v1/users', { email, displayName: 'One' })).status).toBe(201);
      expect((await test.admin.inTenant('acme').post('/api/v1/users', { email, displayName: 'Two' })).status).toBe(409);
    });

    it('refuses to change an email into one already taken', async () => {
      const first = (await test.admin.post('/api/v1/users', { email: uniqueEmail('first'), displayName: 'First' })).body.user;
      const second = (await test.admin.post('/api/v1/users', { email: uniqueEmail('second'), displayName: 'Second' })).body.user;
      const clash = await test.admin.patch(`/api/v1/users/${second.id}`, { email: first.email.toUpperCase() });
      expect(clash.status).toBe(409);
      expect(clash.body.error.code).toBe('EMAIL_TAKEN');
    });

    it('refuses an invalid email, an empty name and an unknown role, saying which', async () => {
      const email = await test.admin.post('/api/v1/users', { email: 'not-an-email', displayName: 'X' });
      expect(email.status).toBe(400);
      expect(email.body.error.code).toBe('EMAIL_INVALID');
      const name = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: '   ' });
      expect(name.body.error.code).toBe('DISPLAY_NAME_INVALID');
      const role = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', role: 'Wizard' });
      expect(role.status).toBe(404);
      expect(role.body.error).toMatchObject({ code: 'ROLE_NOT_FOUND' });
      expect(role.body.error.message).toContain('Wizard');
    });

    it('refuses a tenant the caller has no role in', async () => {
      const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
      const refused = await acmeAdmin.client.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', tenant: 'default' });
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('TENANT_NOT_FOUND');
    });
  });

  describe('listing', () => {
    const marker = `zebra${Date.now()}`;
    const created: string[] = [];

    beforeAll(async () => {
      for (let index = 0; index < 5; index++) {
        const response = await test.admin.post('/api/v1/users', { email: uniqueEmail(`${marker}-${index}`), displayName: `Striped ${index}` });
        created.push(response.body.user.id);
      }
      await test.admin.post('/api/v1/users', { email: uniqueEmail('under_score'), displayName: 'Has an under_score' });
    });

    it('finds users by part of their email, case-insensitively', async () => {
      const found = await test.admin.get(`/api/v1/users?search=${marker.toUpperCase()}`);
      expect(found.body.items.map((user: { id: string }) => user.id).sort()).toEqual([...created].sort());
    });

    it('finds users by part of their display name', async () => {
      const found = await test.admin.get('/api/v1/users?search=striped%204');
      expect(found.body.items.map((user: { id: string }) => user.id)).toEqual([created[4]]);
    });

    it('treats % and _ in a search as plain characters', async () => {
      expect((await test.admin.get('/api/v1/users?search=%25')).body.items).toEqual([]);
      const underscore = await test.admin.get('/api/v1/users?search=r_s');
      expect(underscore.body.items.map((user: { displayName: string }) => user.displayName)).toEqual(['Has an under_score']);
    });

    it('pages through results with a cursor, without gaps or repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await test.admin.get(`/api/v1/users?search=${marker}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((user) => user.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].sort());
    });

    it('lists only the users of the tenant of the request', async () => {
      const inAcme = await test.admin.inTenant('acme').get(`/api/v1/users?search=${marker}`);
      expect(inAcme.body.items).toEqual([]);
    });
  });

  describe('roles of users', () => {
    it("refuses to let a user change their own role", async () => {
      const refused = await test.admin.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('CANNOT_CHANGE_OWN_ROLE');
    });

    it('sets a role per tenant and shows it in that tenant', async () => {
      const user = (await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Roving', role: 'Viewer' })).body.user;
      const added = await test.admin.inTenant('acme').put(`/api/v1/users/${user.id}/role`, { role: 'Operator' });
      expect(added.body.role).toBe('Operator');
      expect((await test.admin.get(`/api/v1/users/${user.id}`)).body.role).toBe('Viewer');
      expect((await test.admin.inTenant('acme').delete(`/api/v1/users/${user.id}/role`)).status).toBe(204);
      expect((await test.admin.inTenant('acme').get(`/api/v1/users/${user.id}`)).status).toBe(404);
    });

    it("refuses to remove a user from their home tenant", async () => {
      const user = (await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Homebody' })).body.user;
      const refused = await test.admin.delete(`/api/v1/users/${user.id}/role`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('HOME_TENANT_MEMBERSHIP');
    });
  });

  describe('privilege escalation guard', () => {
    let roleManager: { id: string; client: ApiClient };
    let viewerId: string;

    beforeAll(async () => {
      const role = await test.admin.post('/api/v1/roles', { name: 'role-manager', permissions: ['ManageRoles', 'AssignRoles', 'ViewUsers'] });
      expect(role.status).toBe(201);
      roleManager = await createSignedInUser(test, { role: 'role-manager' });
      viewerId = (await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Target', role: 'Viewer' })).body.user.id;
    });

    it("refuses to create a role with a permission the creator doesn't hold", async () => {
      const refused = await roleManager.client.post('/api/v1/roles', { name: 'sneaky', permissions: ['ViewUsers', 'ManageUsers'] });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'PRIVILEGE_ESCALATION', permissionsNotHeld: ['ManageUsers'] });
      expect(refused.body.error.message).toContain('ManageUsers');
    });

    it('lets them create a role within what they hold', async () => {
      expect((await roleManager.client.post('/api/v1/roles', { name: 'user-viewer', permissions: ['ViewUsers'] })).status).toBe(201);
    });

    it("refuses to add a permission they don't hold to an existing role", async () => {
      const role = (await roleManager.client.post('/api/v1/roles', { name: 'growing', permissions: ['ViewUsers'] })).body;
      const refused = await roleManager.client.patch(`/api/v1/roles/${role.id}`, { permissions: ['ViewUsers', 'ManageUsers'] });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PRIVILEGE_ESCALATION');
      expect((await test.admin.get(`/api/v1/roles/${role.id}`)).body.permissions).toEqual(['ViewUsers']);
    });

    it('refuses to assign Admin', async () => {
      const refused = await roleManager.client.put(`/api/v1/users/${viewerId}/role`, { role: 'Admin' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PRIVILEGE_ESCALATION');
      expect((await test.admin.get(`/api/v1/users/${viewerId}`)).body.role).toBe('Viewer');
    });

    it('refuses to assign a role granting what they lack even at user creation', async () => {
      const creator = await test.admin.post('/api/v1/roles', { name: 'creator', permissions: ['ManageUsers', 'ViewUsers'] });
      expect(creator.status).toBe(201);
      const hr = await createSignedInUser(test, { role: 'creator' });
      const refused = await hr.client.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', role: 'Admin' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PRIVILEGE_ESCALATION');
    });
  });

  describe('suspending, re-activating and deleting', () => {
    it('refuses to suspend or delete yourself', async () => {
      expect((await test.admin.post(`/api/v1/users/${adminId}/suspend`)).body.error.code).toBe('CANNOT_SUSPEND_SELF');
      expect((await test.admin.delete(`/api/v1/users/${adminId}`)).body.error.code).toBe('CANNOT_DELETE_SELF');
    });

    it("orphans a deleted user's resources: no owner, the previous owner remembered", async () => {
      await test.admin.post('/api/v1/roles', { name: 'writer', permissions: ['ManageDocuments', 'ManageAgents'] });
      const writer = await createSignedInUser(test, { role: 'writer' });
      const document = (await writer.client.post('/api/v1/documents', { name: 'design notes', content: { pages: 3 } })).body;
      const agent = (await writer.client.post('/api/v1/agents', { name: 'helper' })).body;

      const deleted = await test.admin.delete(`/api/v1/users/${writer.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.orphanedResources).toBe(2);
      expect((await test.admin.get(`/api/v1/users/${writer.id}`)).status).toBe(404);
      expect((await writer.client.get('/api/v1/me')).status).toBe(401);
      for (const path of [`/api/v1/documents/${document.id}`, `/api/v1/agents/${agent.id}`]) {
        const orphan = await test.admin.get(path);
        expect(orphan.body).toMatchObject({ ownerId: null, previousOwnerId: writer.id });
      }
      expect((await test.admin.get(`/api/v1/documents/${document.id}`)).body.content).toEqual({ pages: 3 });
    });
  });

  describe('the last active Admin of default', () => {
    let userAdmin: ApiClient;

    beforeAll(async () => {
      // Every permission an Admin holds (nobody may unseat someone holding more than they do), without being Admin.
      const role = await test.admin.post('/api/v1/roles', {
        name: 'user-admin',
        permissions: [...allPermissions],
      });
      expect(role.status).toBe(201);
      const created = await createSignedInUser(test, { role: 'user-admin' });
      userAdmin = created.client;
      // The bootstrap Admin is also Admin of acme; whoever changes their account must hold that too.
      expect((await test.admin.put(`/api/v1/tenants/acme/members/${created.id}`, { role: 'Admin' })).status).toBe(200);
    });

    it("can't be demoted", async () => {
      const refused = await userAdmin.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('LAST_ADMIN');
    });

    it("can't be suspended", async () => {
      const refused = await userAdmin.post(`/api/v1/users/${adminId}/suspend`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('LAST_ADMIN');
    });

    it("can't be deleted", async () => {
      const refused = await userAdmin.delete(`/api/v1/users/${adminId}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('LAST_ADMIN');
      expect((await test.admin.get('/api/v1/me')).status).toBe(200);
    });

    it('counts only active Admins: a suspended second Admin does not help, an active one does', async () => {
      const second = (await test.admin.post('/api/v1/users', { email: uniqueEmail('second-admin'), displayName: 'Second Admin', role: 'Admin' })).body.user;
      expect((await test.admin.post(`/api/v1/users/${second.id}/suspend`)).status).toBe(200);
      expect((await userAdmin.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' })).body.error.code).toBe('LAST_ADMIN');
      expect((await test.admin.post(`/api/v1/users/${second.id}/reactivate`)).status).toBe(200);
      // With two active Admins, either can go: demote the second one, leaving the bootstrap Admin.
      expect((await userAdmin.put(`/api/v1/users/${second.id}/role`, { role: 'Viewer' })).status).toBe(200);
      expect((await userAdmin.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' })).body.error.code).toBe('LAST_ADMIN');
    });
  });
});

describe.each(engines)('racing to remove the last two Admins of default on %s', (engine) => {
  let test: TestServer;
  let userAdmin: ApiClient;
  beforeAll(async () => {
    test = await startTestServer(engine);
    await test.admin.post('/api/v1/roles', {
      name: 'user-admin',
      permissions: [...allPermissions],
    });
    userAdmin = (await createSignedInUser(test, { role: 'user-admin' })).client;
  });
  afterAll(() => test.close());

  it('lets only one of two concurrent demotions through', async () => {
    const first = (await test.admin.get('/api/v1/me')).body.user.id;
    const second = (await test.admin.post('/api/v1/users', { email: uniqueEmail('admin'), displayName: 'Second', role: 'Admin' })).body.user.id;
    const responses = await Promise.all([userAdmin.put(`/api/v1/users/${first}/role`, { role: 'Viewer' }), userAdmin.post(`/api/v1/users/${second}/suspend`)]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    expect(responses.find((response) => response.status === 409)!.body.error.code).toBe('LAST_ADMIN');
  });
});

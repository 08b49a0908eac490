import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

/** GET /api/v1/tenants/:tenant/members and the counts of GET /api/v1/tenants: what Admin → Tenants shows. */
describe.each(engines)('tenant members on %s', (engine) => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
    expect((await test.admin.inTenant('acme').post('/api/v1/roles', { name: 'acme-editor', permissions: ['ViewUsers'] })).status).toBe(201);
  });
  afterAll(() => test.close());

  it("lists a tenant's members with their role and home tenant, and the roles that can be given there", async () => {
    const local = await createSignedInUser(test, { role: 'acme-editor', tenant: 'acme', displayName: 'Local Lou' });
    const guest = await createSignedInUser(test, { role: 'Viewer', displayName: 'Guest Gil' });
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${guest.id}`, { role: 'Operator' })).status).toBe(200);

    const response = await test.admin.get('/api/v1/tenants/acme/members');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.tenant).toMatchObject({ slug: 'acme', name: 'Acme' });
    const byEmail = new Map((response.body.items as { email: string }[]).map((member) => [member.email, member]));
    expect(byEmail.get(local.email)).toMatchObject({ userId: local.id, displayName: 'Local Lou', status: 'active', homeTenant: 'acme', role: { name: 'acme-editor', builtIn: false } });
    expect(byEmail.get(guest.email)).toMatchObject({ userId: guest.id, homeTenant: 'default', role: { id: 'operator', name: 'Operator', builtIn: true } });
    // The installation admin created acme, so holds Admin there.
    expect(byEmail.get('admin@sophon.local')).toMatchObject({ role: { name: 'Admin' } });
    expect(response.body.nextCursor).toBeNull();
    const roles = (response.body.roles as { name: string; scope: string }[]).map((role) => `${role.name}:${role.scope}`);
    expect(roles).toEqual(expect.arrayContaining(['Admin:global', 'Operator:global', 'Viewer:global', 'acme-editor:tenant']));
    // globex's members are globex's only.
    const globex = await test.admin.get('/api/v1/tenants/globex/members');
    expect((globex.body.items as { email: string }[]).map((member) => member.email)).toEqual(['admin@sophon.local']);
    expect((globex.body.roles as { name: string }[]).map((role) => role.name)).not.toContain('acme-editor');
  });

  it('pages through the members by cursor', async () => {
    const first = await test.admin.get('/api/v1/tenants/acme/members?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBe(first.body.items[0].userId);
    const rest = await test.admin.get(`/api/v1/tenants/acme/members?cursor=${first.body.nextCursor}`);
    const all = await test.admin.get('/api/v1/tenants/acme/members');
    expect([...first.body.items, ...rest.body.items]).toEqual(all.body.items);
  });

  it('shows the members to a holder of ViewUsers in that tenant, and refuses the tenants they have no role in as not found', async () => {
    const viewer = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const own = await viewer.client.get('/api/v1/tenants/acme/members');
    expect(own.status).toBe(200);
    expect((own.body.items as { email: string }[]).map((member) => member.email)).toContain(viewer.email);
    const elsewhere = await viewer.client.get('/api/v1/tenants/globex/members');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('TENANT_NOT_FOUND');
  });

  it('refuses a member without ViewUsers, naming the permission', async () => {
    const operator = await createSignedInUser(test, { role: 'Operator', tenant: 'acme' });
    const response = await operator.client.get('/api/v1/tenants/acme/members');
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewUsers', tenant: 'acme' });
  });

  it('refuses ViewUsers in one tenant as a way to read another where the caller lacks it', async () => {
    // ViewUsers where the request acts (acme), Operator (no ViewUsers) in globex.
    const person = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    expect((await test.admin.put(`/api/v1/tenants/globex/members/${person.id}`, { role: 'Operator' })).status).toBe(200);
    const response = await person.client.get('/api/v1/tenants/globex/members');
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewUsers', tenant: 'globex' });
  });

  it('counts members, users at home and resources per tenant in the tenant list', async () => {
    const before = (await test.admin.get('/api/v1/tenants')).body.items.find((tenant: { slug: string }) => tenant.slug === 'globex');
    await createSignedInUser(test, { role: 'Viewer', tenant: 'globex' });
    expect((await test.admin.inTenant('globex').post('/api/v1/agents', { name: 'an agent' })).status).toBe(201);
    const after = (await test.admin.get('/api/v1/tenants')).body.items.find((tenant: { slug: string }) => tenant.slug === 'globex');
    expect(after).toMatchObject({ memberCount: before.memberCount + 1, homeUserCount: before.homeUserCount + 1, resourceCount: before.resourceCount + 1, myRole: 'Admin' });
    expect(typeof after.createdAt).toBe('string');
  });
});

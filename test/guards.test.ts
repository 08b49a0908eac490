import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions } from '../src/domain/permissions.ts';
import type { AnyRoute } from '../src/http/route.ts';
import { apiRoutes } from '../src/http/routes/index.ts';
import { ApiClient, RawBody, type ApiResponse } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

/**
 * Generated from the route table: every route that changes another user — their assignment,
 * membership, status, credentials or profile — is refused over a more privileged user
 * (TARGET_MORE_PRIVILEGED) and, where it could take the Admin role away, over the last Admin of
 * `default` (LAST_ADMIN), whichever route it goes through. A new route of that shape fails here
 * until it has a probe below.
 */

const changesAnotherUser = (route: AnyRoute) =>
  route.method !== 'GET' &&
  (/^\/api\/v1\/users\/:id(\/|$)/.test(route.url) || /\/members\/:user$/.test(route.url) || route.url === '/api/v1/tokens/:id' || route.url === '/api/v1/access-requests/:id/approve');

interface Target {
  userId: string;
  tokenId: string;
  /** The target asks for `role` in default for an hour (POST /me/access-requests); the request's id. */
  requestAccess(role: string): Promise<string>;
}

/** How to call each route against the target user; `role` is a role the caller may hand out. */
type Probe = (client: ApiClient, target: Target, role: string) => Promise<ApiResponse>;

const probes: Record<string, Probe> = {
  'PATCH /api/v1/users/:id': (client, target) => client.patch(`/api/v1/users/${target.userId}`, { displayName: 'Taken Over' }),
  'POST /api/v1/users/:id/suspend': (client, target) => client.post(`/api/v1/users/${target.userId}/suspend`),
  'POST /api/v1/users/:id/reactivate': (client, target) => client.post(`/api/v1/users/${target.userId}/reactivate`),
  'DELETE /api/v1/users/:id': (client, target) => client.delete(`/api/v1/users/${target.userId}`),
  'PUT /api/v1/users/:id/role': (client, target, role) => client.put(`/api/v1/users/${target.userId}/role`, { role }),
  'DELETE /api/v1/users/:id/role': (client, target) => client.delete(`/api/v1/users/${target.userId}/role`),
  'POST /api/v1/users/:id/logout': (client, target) => client.post(`/api/v1/users/${target.userId}/logout`),
  'POST /api/v1/users/:id/reset-password': (client, target) => client.post(`/api/v1/users/${target.userId}/reset-password`),
  'POST /api/v1/users/:id/one-time-link': (client, target) => client.post(`/api/v1/users/${target.userId}/one-time-link`, { deliver: 'manual' }),
  'POST /api/v1/users/:id/move': (client, target) => client.post(`/api/v1/users/${target.userId}/move`, { tenant: 'default' }),
  'DELETE /api/v1/users/:id/sessions/:sessionId': (client, target) => client.delete(`/api/v1/users/${target.userId}/sessions/00000000-0000-7000-8000-000000000000`),
  'PUT /api/v1/users/:id/avatar': (client, target) => client.request('PUT', `/api/v1/users/${target.userId}/avatar`, new RawBody('not an image', 'image/png')),
  'DELETE /api/v1/users/:id/avatar': (client, target) => client.delete(`/api/v1/users/${target.userId}/avatar`),
  'POST /api/v1/users/:id/reset-2fa': (client, target) => client.post(`/api/v1/users/${target.userId}/reset-2fa`),
  'DELETE /api/v1/users/:id/sign-in-lock': (client, target) => client.delete(`/api/v1/users/${target.userId}/sign-in-lock`),
  'PUT /api/v1/tenants/:tenant/members/:user': (client, target, role) => client.put(`/api/v1/tenants/default/members/${target.userId}`, { role }),
  'DELETE /api/v1/tokens/:id': (client, target) => client.delete(`/api/v1/tokens/${target.tokenId}`),
  // An approval gives the requester a time-bound role: the same guards as setting it.
  'POST /api/v1/access-requests/:id/approve': async (client, target, role) => client.post(`/api/v1/access-requests/${await target.requestAccess(role)}/approve`, {}),
};

/** The routes that can take the Admin role of `default` away from the target (a guest there, at home in acme). */
const takesAdminAway = new Set([
  'PUT /api/v1/users/:id/role',
  'DELETE /api/v1/users/:id/role',
  'POST /api/v1/users/:id/suspend',
  'DELETE /api/v1/users/:id',
  'PUT /api/v1/tenants/:tenant/members/:user',
  'POST /api/v1/access-requests/:id/approve',
]);

const routes = apiRoutes.filter(changesAnotherUser).map((route) => `${route.method} ${route.url}`);

it('has a probe for every route that changes another user', () => {
  expect(routes.length).toBeGreaterThanOrEqual(16);
  expect(routes.filter((route) => !probes[route])).toEqual([]);
});

describe.each(engines)('every route that changes another user, on %s', (engine) => {
  let test: TestServer;
  let target: Target;
  let lesser: ApiClient;

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    // Global roles, so their holders hold them in acme too.
    expect((await test.admin.post('/api/v1/roles', { name: 'lesser', scope: 'global', permissions: ['ManageUsers', 'AssignRoles', 'ViewUsers', 'ManageTenants'] })).status).toBe(201);
    expect((await test.admin.post('/api/v1/roles', { name: 'all-but-admin', scope: 'global', permissions: [...allPermissions] })).status).toBe(201);

    // The target: at home in acme, Admin of default as a guest.
    const created = await createSignedInUser(test, { role: 'lesser', tenant: 'acme' }, test.admin.inTenant('acme'));
    expect((await test.admin.put(`/api/v1/tenants/default/members/${created.id}`, { role: 'Admin' })).status).toBe(200);
    const token = await created.client.post('/api/v1/me/tokens', { name: 'target token', expiresIn: '30d' });
    expect(token.status).toBe(201);
    const asTarget = new ApiClient(test.url, { token: token.body.secret }, 'default');
    target = {
      userId: created.id,
      tokenId: token.body.token.id,
      async requestAccess(role) {
        const asked = await asTarget.post('/api/v1/me/access-requests', { role, tenant: 'default', duration: '1h', reason: 'guards test' });
        expect(asked.status, JSON.stringify(asked.body)).toBe(201);
        return asked.body.id as string;
      },
    };

    // The lesser admin: ManageUsers, AssignRoles, ViewUsers and ManageTenants in default and in acme.
    const made = await createSignedInUser(test, { role: 'lesser' });
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${made.id}`, { role: 'lesser' })).status).toBe(200);
    lesser = made.client;
  });
  afterAll(() => test.close());

  it.each(routes)('%s refuses to act over a more privileged user', async (route) => {
    const answer = await probes[route]!(lesser, target, 'lesser');
    expect(answer.status, JSON.stringify(answer.body)).toBe(403);
    expect(answer.body.error.code).toBe('TARGET_MORE_PRIVILEGED');
  });

  describe('once the target is the last Admin of default', () => {
    beforeAll(async () => {
      // The bootstrap Admin hands the role over: the target makes them all-but-admin, the same permissions without the Admin role.
      const bootstrapAdmin = (await test.admin.get('/api/v1/me')).body.user.id as string;
      const asTarget = (await test.login((await test.admin.get(`/api/v1/users/${target.userId}`)).body.email, 'a long enough password')).client.inTenant('default');
      const demoted = await asTarget.put(`/api/v1/users/${bootstrapAdmin}/role`, { role: 'all-but-admin' });
      expect(demoted.status, JSON.stringify(demoted.body)).toBe(200);
    });

    it.each(routes.filter((route) => takesAdminAway.has(route)))('%s refuses to take it away', async (route) => {
      const answer = await probes[route]!(test.admin, target, 'all-but-admin');
      expect(answer.status, JSON.stringify(answer.body)).toBe(409);
      expect(answer.body.error.code).toBe('LAST_ADMIN');
      expect((await test.admin.get(`/api/v1/users/${target.userId}`)).body).toMatchObject({ role: 'Admin', status: 'active' });
    });
  });
});

describe.each(engines)('the installation route PUT /tenants/:tenant/members/:user on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it("refuses the only Admin lowering their own role in default, as PUT /users/:id/role does", async () => {
    const me = (await test.admin.get('/api/v1/me')).body.user.id as string;
    const throughMembers = await test.admin.put(`/api/v1/tenants/default/members/${me}`, { role: 'Viewer' });
    const throughUsers = await test.admin.put(`/api/v1/users/${me}/role`, { role: 'Viewer' });
    expect(throughMembers.status, JSON.stringify(throughMembers.body)).toBe(throughUsers.status);
    expect(throughMembers.body.error.code).toBe(throughUsers.body.error.code);
    expect(throughMembers.body.error.code).toBe('CANNOT_CHANGE_OWN_ROLE');
    expect((await test.admin.get(`/api/v1/users/${me}`)).body.role).toBe('Admin');
  });

  it('refuses a ManageTenants holder setting the only Admin to their own custom role, as PUT /users/:id/role does', async () => {
    expect((await test.admin.post('/api/v1/roles', { name: 'tenant-manager', permissions: ['ManageTenants', 'ViewUsers'] })).status).toBe(201);
    const manager = await createSignedInUser(test, { role: 'tenant-manager' });
    const admin = (await test.admin.get('/api/v1/me')).body.user.id as string;
    const throughMembers = await manager.client.put(`/api/v1/tenants/default/members/${admin}`, { role: 'tenant-manager' });
    const throughUsers = await manager.client.put(`/api/v1/users/${admin}/role`, { role: 'tenant-manager' });
    expect(throughMembers.status, JSON.stringify(throughMembers.body)).toBe(403);
    expect(throughMembers.body.error).toMatchObject({ code: throughUsers.body.error.code, missingPermission: 'AssignRoles' });
    expect((await test.admin.get(`/api/v1/users/${admin}`)).body.role).toBe('Admin');
  });

  it('still lets the installation give itself a role in a tenant it was removed from', async () => {
    expect((await test.admin.post('/api/v1/tenants', { slug: 'lost', name: 'Lost' })).status).toBe(201);
    const me = (await test.admin.get('/api/v1/me')).body.user.id as string;
    const keeper = await createSignedInUser(test, { role: 'Admin', tenant: 'lost' }, test.admin.inTenant('lost'));
    expect((await keeper.client.delete(`/api/v1/users/${me}/role`)).status).toBe(204);
    const back = await test.admin.put(`/api/v1/tenants/lost/members/${me}`, { role: 'Admin' });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ tenant: 'lost', role: 'Admin' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, startTestServer, USER_PASSWORD, type TestDatabase, type TestServer } from './support/harness.ts';
import { enrol } from './support/two-factor.ts';

/**
 * Every change that can alter an authorization decision, made through one node, applies at the
 * very next request to another node sharing the same PostgreSQL (issue 8). Today no node keeps a
 * decision across requests (each request reads its credential, owner, policies and roles in one
 * statement); this test is what any future cache has to pass.
 */
describe('authorization decisions across two nodes sharing PostgreSQL', () => {
  let database: TestDatabase;
  let nodeA: TestServer;
  let nodeB: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    nodeA = await startTestServer('postgres', { database });
    nodeB = await startTestServer('postgres', { database });
    expect((await nodeA.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await database?.drop();
  });

  /** The same caller (same credential, same tenant), talking to another node. */
  const on = (node: TestServer, client: ApiClient) => new ApiClient(node.url, client.credential, client.tenant);

  /** A user signed in on node A, with a session (from the sign-in) and an API token, both aimed at node B. */
  async function userOnB(input: { role?: string; tenant?: string }) {
    const user = await createSignedInUser(nodeA, input);
    const token = await user.client.post('/api/v1/me/tokens', { name: 'two nodes' });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    const tokenClient = new ApiClient(nodeA.url, { token: token.body.secret }, input.tenant);
    return { ...user, tokenId: token.body.token.id as string, session: on(nodeB, user.client), token: on(nodeB, tokenClient) };
  }

  async function expectStatus(clients: ApiClient[], path: string, status: number, code?: string) {
    for (const client of clients) {
      const response = await client.get(path);
      expect(response.status, `${client.credential.token ? 'token' : 'session'} ${path}: ${JSON.stringify(response.body)}`).toBe(status);
      if (code) expect(response.body.error?.code ?? response.body.code).toBe(code);
    }
  }

  it('a role assignment', async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.put(`/api/v1/users/${user.id}/role`, { role: 'Operator' })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 403, 'PERMISSION_MISSING');
    expect((await nodeA.admin.put(`/api/v1/users/${user.id}/role`, { role: 'Viewer' })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
  });

  it("a role's permissions, taken away and given back", async () => {
    const role = await nodeA.admin.post('/api/v1/roles', { name: 'two-node-readers', permissions: ['ViewUsers'] });
    expect(role.status).toBe(201);
    const user = await userOnB({ role: 'two-node-readers' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.patch(`/api/v1/roles/${role.body.id}`, { permissions: ['ViewBudgets'] })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 403, 'PERMISSION_MISSING');
    expect((await nodeA.admin.patch(`/api/v1/roles/${role.body.id}`, { permissions: ['ViewBudgets', 'ViewUsers'] })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
  });

  it('a membership removed from another tenant', async () => {
    const user = await userOnB({ role: 'Viewer' });
    expect((await nodeA.admin.put(`/api/v1/tenants/acme/members/${user.id}`, { role: 'Viewer' })).status).toBe(200);
    const inAcme = [user.session.inTenant('acme'), user.token.inTenant('acme')];
    await expectStatus(inAcme, '/api/v1/users', 200);
    expect((await nodeA.admin.inTenant('acme').delete(`/api/v1/users/${user.id}/role`)).status).toBeLessThan(300);
    await expectStatus(inAcme, '/api/v1/users', 404, 'TENANT_NOT_FOUND');
  });

  it('a suspension, and the re-activation', async () => {
    const user = await userOnB({ role: 'Viewer' });
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/suspend`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 401, 'ACCOUNT_SUSPENDED');
    expect((await user.session.get('/api/v1/users')).status).toBe(401);
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/reactivate`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 200);
  });

  it("the user's deletion", async () => {
    const user = await userOnB({ role: 'Viewer' });
    expect((await nodeA.admin.delete(`/api/v1/users/${user.id}`)).status).toBeLessThan(300);
    await expectStatus([user.session, user.token], '/api/v1/users', 401);
  });

  it("an API token's revocation", async () => {
    const user = await userOnB({ role: 'Viewer' });
    expect((await on(nodeA, user.client).delete(`/api/v1/me/tokens/${user.tokenId}`)).status).toBeLessThan(300);
    await expectStatus([user.token], '/api/v1/users', 401, 'TOKEN_INVALID');
    await expectStatus([user.session], '/api/v1/users', 200);
  });

  it('a password change, which ends the other sessions', async () => {
    const user = await userOnB({ role: 'Viewer' });
    const second = await nodeA.login(user.email, USER_PASSWORD);
    expect(second.response.status).toBe(200);
    const changed = await second.client.post('/api/v1/auth/password', { currentPassword: USER_PASSWORD, newPassword: 'another long password 456' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await expectStatus([user.session], '/api/v1/users', 401, 'SESSION_INVALID');
    await expectStatus([on(nodeB, second.client)], '/api/v1/users', 200);
  });

  it('a session ended by an admin', async () => {
    const user = await userOnB({ role: 'Viewer' });
    const activity = await nodeA.admin.get(`/api/v1/users/${user.id}/activity`);
    expect(activity.status).toBe(200);
    expect(activity.body.sessions.length).toBeGreaterThan(0);
    for (const session of activity.body.sessions) {
      expect((await nodeA.admin.delete(`/api/v1/users/${user.id}/sessions/${session.id}`)).status).toBeLessThan(300);
    }
    await expectStatus([user.session], '/api/v1/users', 401, 'SESSION_INVALID');
  });

  it("a tenant's Require 2FA turned on and off", async () => {
    const user = await userOnB({ role: 'Viewer', tenant: 'acme' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.put('/api/v1/tenants/acme/settings/authentication', { requireTwoFactor: true })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 403, 'TWO_FACTOR_ENROLLMENT_REQUIRED');
    expect((await nodeA.admin.put('/api/v1/tenants/acme/settings/authentication', { requireTwoFactor: null })).status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
  });

  it("an admin's reset of the user's 2FA", async () => {
    const user = await userOnB({ role: 'Viewer' });
    await enrol(nodeA, on(nodeA, user.client), USER_PASSWORD);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/reset-2fa`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 403, 'TWO_FACTOR_ENROLLMENT_REQUIRED');
  });
});

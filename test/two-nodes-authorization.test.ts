import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, startTestServer, USER_PASSWORD, type TestDatabase, type TestServer } from './support/harness.ts';
import { enrol } from './support/two-factor.ts';
import type { Engine } from '../src/storage/open-database.ts';

/**
 * Every change that can alter an authorization decision applies at the very next request
 * (issue 8):
 * - on PostgreSQL, made through one node, at the next request to another node sharing the same
 *   database, whose facts for the caller were read (and kept, with the authorization epoch's
 *   version: migration 017) just before the change;
 * - on SQLite, where the one process keeps recent credentials' facts while the database is
 *   unchanged (src/storage/stores/authorization-cache.ts), at the next request to that same node,
 *   whose facts for the caller were read (and kept) just before the change; and a change written
 *   to the file by another process applies too.
 * Any future cache has to pass this.
 */
const setups: { name: string; engine: Engine; nodes: 1 | 2 }[] = [
  { name: 'two nodes sharing PostgreSQL', engine: 'postgres', nodes: 2 },
  { name: 'one SQLite node keeping recent authorizations', engine: 'sqlite', nodes: 1 },
];

describe.each(setups)('authorization decisions: $name', ({ engine, nodes }) => {
  let database: TestDatabase;
  let nodeA: TestServer;
  let nodeB: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    nodeA = await startTestServer(engine, { database });
    nodeB = nodes === 2 ? await startTestServer(engine, { database }) : nodeA;
    expect((await nodeA.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await nodeA?.close();
    if (nodeB !== nodeA) await nodeB?.close();
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
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/suspend`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 401, 'ACCOUNT_SUSPENDED');
    expect((await user.session.get('/api/v1/users')).status).toBe(401);
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/reactivate`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 200);
  });

  it("the user's deletion", async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.delete(`/api/v1/users/${user.id}`)).status).toBeLessThan(300);
    await expectStatus([user.session, user.token], '/api/v1/users', 401);
  });

  it("an API token's revocation", async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await on(nodeA, user.client).delete(`/api/v1/me/tokens/${user.tokenId}`)).status).toBeLessThan(300);
    await expectStatus([user.token], '/api/v1/users', 401, 'TOKEN_INVALID');
    await expectStatus([user.session], '/api/v1/users', 200);
  });

  it('a password change, which ends the other sessions', async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    const second = await nodeA.login(user.email, USER_PASSWORD);
    expect(second.response.status).toBe(200);
    const changed = await second.client.post('/api/v1/auth/password', { currentPassword: USER_PASSWORD, newPassword: 'another long password 456' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await expectStatus([user.session], '/api/v1/users', 401, 'SESSION_INVALID');
    await expectStatus([on(nodeB, second.client)], '/api/v1/users', 200);
  });

  it('a session ended by an admin', async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
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

  it('an elevation ends: a time-bound role stops granting at the first request after its end, and the permanent one applies again', async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    const elevated = await nodeA.admin.put(`/api/v1/users/${user.id}/role`, { role: 'Operator', duration: '1h' });
    expect(elevated.status).toBe(200);
    await expectStatus([user.session, user.token], '/api/v1/users', 403, 'PERMISSION_MISSING');
    // Nothing is written at the end: only time passes. Each node's clock is set to the same instant.
    const endsAt = Date.parse(elevated.body.roleEndsAt);
    const setClocks = (instant: number) => new Set([nodeA.clock, nodeB.clock]).forEach((clock) => clock.advance(instant - clock.now().getTime()));
    setClocks(endsAt - 1);
    await expectStatus([user.session, user.token], '/api/v1/users', 403, 'PERMISSION_MISSING');
    setClocks(endsAt);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
  });

  it("an admin's reset of the user's 2FA", async () => {
    const user = await userOnB({ role: 'Viewer' });
    await enrol(nodeA, on(nodeA, user.client), USER_PASSWORD);
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    expect((await nodeA.admin.post(`/api/v1/users/${user.id}/reset-2fa`)).status).toBe(200);
    await expectStatus([user.token], '/api/v1/users', 403, 'TWO_FACTOR_ENROLLMENT_REQUIRED');
  });

  it("an API token's expiry, by time alone, while node B keeps its facts (its last use too recent to read them again)", async () => {
    const user = await createSignedInUser(nodeA, { role: 'Viewer' });
    const created = await user.client.post('/api/v1/me/tokens', { name: 'one minute', expiresIn: '1m' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = new ApiClient(nodeB.url, { token: created.body.secret });
    const setClocks = (instant: number) => new Set([nodeA.clock, nodeB.clock]).forEach((clock) => clock.advance(instant - clock.now().getTime()));
    const expiresAt = Date.parse(created.body.token.expiresAt);
    setClocks(expiresAt - 30_000);
    // Used (and touched) 30 s before its end: then kept, the touch not due again within the minute.
    for (let n = 0; n < 3; n++) await expectStatus([token], '/api/v1/users', 200);
    setClocks(expiresAt - 1);
    await expectStatus([token], '/api/v1/users', 200);
    setClocks(expiresAt);
    await expectStatus([token], '/api/v1/users', 401, 'TOKEN_EXPIRED');
  });

  it('a tenant deleted, and one of the same slug created again', async () => {
    expect((await nodeA.admin.post('/api/v1/tenants', { slug: 'short-lived', name: 'Short lived' })).status).toBe(201);
    const user = await userOnB({ role: 'Viewer' });
    expect((await nodeA.admin.put(`/api/v1/tenants/short-lived/members/${user.id}`, { role: 'Viewer' })).status).toBe(200);
    const inTenant = [user.session.inTenant('short-lived'), user.token.inTenant('short-lived')];
    await expectStatus(inTenant, '/api/v1/users', 200);
    expect((await nodeA.admin.delete('/api/v1/tenants/short-lived')).status).toBeLessThan(300);
    await expectStatus(inTenant, '/api/v1/users', 404, 'TENANT_NOT_FOUND');
    // The same slug again, a new tenant: the user is no member of it.
    expect((await nodeA.admin.post('/api/v1/tenants', { slug: 'short-lived', name: 'Short lived again' })).status).toBe(201);
    await expectStatus(inTenant, '/api/v1/users', 404, 'TENANT_NOT_FOUND');
  });

  it.runIf(engine === 'sqlite')("a change another process writes to the database file", async () => {
    const user = await userOnB({ role: 'Viewer' });
    await expectStatus([user.session, user.token], '/api/v1/users', 200);
    const other = new DatabaseSync(path.join(database.dataDir, 'sophon.db'));
    try {
      other.exec('PRAGMA busy_timeout = 5000');
      other.prepare("update users set status = 'suspended' where id = ?").run(user.id);
      await expectStatus([user.token], '/api/v1/users', 401, 'ACCOUNT_SUSPENDED');
      other.prepare("update users set status = 'active' where id = ?").run(user.id);
      await expectStatus([user.token], '/api/v1/users', 200);
    } finally {
      other.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/domain/ids.ts';
import type { Store } from '../src/domain/store.ts';
import type { StoredUser } from '../src/domain/users/user.ts';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

/**
 * A page of N rows is a constant number of statements (STYLE.md, habit 11): the users page,
 * a user's effective permissions over many tenants and their account activity send as many
 * statements for many rows as for few. Counted on the third of three identical requests, so
 * one-time reads (the default tenant's id) don't blur the comparison.
 */
describe.each(engines)('statements per page on %s', (engine) => {
  let test: TestServer;
  let store: Store;
  let client: ApiClient;
  let tenantId: string;
  const tenantIds: string[] = [];
  const instant = new Date(Date.UTC(2026, 0, 1)).toISOString();

  async function addUser(homeTenantId: string, n: number): Promise<StoredUser> {
    const user: StoredUser = {
      id: newId(),
      email: `paged.${n}@example.test`,
      displayName: `Paged ${n}`,
      homeTenantId,
      status: n % 7 === 0 ? 'suspended' : 'active',
      mustChangePassword: false,
      passwordHash: '$argon2id$not-a-real-hash',
      passwordExpiresAt: null,
      createdAt: instant,
      updatedAt: instant,
      lastLoginAt: n % 2 ? instant : null,
      lastLoginIp: null,
      lastLoginUserAgent: null,
    };
    await store.users.create(user);
    await store.assignments.set({ userId: user.id, tenantId: homeTenantId, roleId: n % 3 ? 'viewer' : 'operator', assignedAt: instant, assignedBy: null });
    return user;
  }

  async function warmCount(path: string, status = 200): Promise<number> {
    let sent: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      sent = await statementsOf(test, async () => {
        const answer = await client.get(path);
        expect(answer.status, `${path}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(status);
      });
    }
    return sent.length;
  }

  beforeAll(async () => {
    test = await startTestServer(engine);
    store = test.server.services.context.store;
    for (let n = 0; n < 20; n++) {
      expect((await test.admin.post('/api/v1/tenants', { slug: `paged-${n}`, name: `Paged ${n}` })).status).toBe(201);
      tenantIds.push((await store.tenants.getBySlug(`paged-${n}`))!.id);
    }
    tenantId = tenantIds[0]!;
    client = test.admin.inTenant('paged-0');
    for (let n = 1; n <= 60; n++) {
      const user = await addUser(tenantId, n);
      if (n % 4 === 0) await store.externalIdentities.create({ issuer: 'https://idp.example.test', subject: user.id, userId: user.id, createdAt: instant, lastLoginAt: null });
    }
  });
  afterAll(() => test.close());

  it.each([
    ['the plain page', ''],
    ['a search on the trigram path', '&search=paged'],
    ['a search on the short path', '&search=d%20'],
    ['every filter at once', `&role=Viewer&status=active&twoFactor=not_enrolled&sso=not_linked&homeTenant=paged-0&lastSignInAfter=2025-01-01T00:00:00Z&lastSignInBefore=2027-01-01T00:00:00Z`],
  ])('a users page of 50 sends as many statements as a page of 2: %s', async (_label, filters) => {
    const few = await warmCount(`/api/v1/users?limit=2${filters}`);
    const many = await warmCount(`/api/v1/users?limit=50${filters}`);
    console.log(`${engine}: GET /api/v1/users${filters ? ` (${filters.slice(1)})` : ''}: ${few} statements for 2 rows, ${many} for 50`);
    expect(many).toBe(few);
  });

  it("reads a user's effective permissions in as many statements for 20 tenants as for one", async () => {
    const [single, everywhere] = [await addUser(tenantId, 1001), await addUser(tenantId, 1002)];
    for (const other of tenantIds.slice(1)) {
      await store.assignments.set({ userId: everywhere.id, tenantId: other, roleId: 'operator', assignedAt: instant, assignedBy: null });
    }
    const answer = await client.get(`/api/v1/users/${everywhere.id}/effective-permissions`);
    expect(answer.body.tenants).toHaveLength(20);
    const few = await warmCount(`/api/v1/users/${single.id}/effective-permissions`);
    const many = await warmCount(`/api/v1/users/${everywhere.id}/effective-permissions`);
    console.log(`${engine}: GET /api/v1/users/:id/effective-permissions: ${few} statements for 1 tenant, ${many} for 20`);
    expect(many).toBe(few);

    // Only the tenants where the caller may see users are shown; the rest are counted.
    const viewer = await createSignedInUser(test, { role: 'Viewer', tenant: 'paged-0' });
    await store.assignments.set({ userId: viewer.id, tenantId: tenantIds[5]!, roleId: 'viewer', assignedAt: instant, assignedBy: null });
    const seen = await viewer.client.get(`/api/v1/users/${everywhere.id}/effective-permissions`);
    expect(seen.status).toBe(200);
    expect(seen.body.tenants.map((entry: { tenantSlug: string }) => entry.tenantSlug).sort()).toEqual(['paged-0', 'paged-5']);
    expect(seen.body.hiddenTenants).toBe(18);
    expect(seen.body.permissions).toEqual([...new Set(seen.body.tenants.flatMap((entry: { permissions: string[] }) => entry.permissions))].sort());
  });

  it("reads a user's page (user, activity) in as many statements for many sessions, tokens and links as for none", async () => {
    const [quiet, busy] = [await addUser(tenantId, 2001), await addUser(tenantId, 2002)];
    for (let n = 0; n < 10; n++) {
      await store.sessions.create({ id: newId(), userId: busy.id, tokenHash: `session-${newId()}`, csrfHash: newId(), createdAt: test.clock.now().toISOString(), lastSeenAt: test.clock.now().toISOString(), expiresAt: new Date(test.clock.now().getTime() + 3_600_000).toISOString(), ip: null, userAgent: null, endedAt: null, endReason: null, method: 'password' });
      await store.tokens.create({ id: newId(), userId: busy.id, name: `token ${n}`, tokenHash: `token-${newId()}`, prefix: 'sph_x', createdAt: instant, expiresAt: null, lastUsedAt: null, revokedAt: null });
      await store.externalIdentities.create({ issuer: `https://idp-${n}.example.test`, subject: busy.id, userId: busy.id, createdAt: instant, lastLoginAt: null });
    }
    for (let n = 0; n < 10; n++) expect((await client.patch(`/api/v1/users/${busy.id}`, { displayName: `Busy ${n}` })).status).toBe(200);
    const activity = await client.get(`/api/v1/users/${busy.id}/activity`);
    expect(activity.body.sessions).toHaveLength(10);
    expect(activity.body.tokens).toHaveLength(10);
    expect(activity.body.identities).toHaveLength(10);
    for (const path of ['', '/activity']) {
      const few = await warmCount(`/api/v1/users/${quiet.id}${path}`);
      const many = await warmCount(`/api/v1/users/${busy.id}${path}`);
      console.log(`${engine}: GET /api/v1/users/:id${path}: ${few} statements for a quiet user, ${many} for a busy one`);
      expect(many).toBe(few);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newId } from '../src/domain/ids.ts';
import { builtInRoleDefinitions } from '../src/domain/roles/role.ts';
import type { Store } from '../src/domain/store.ts';
import { hashPassword } from '../src/domain/users/passwords.ts';
import type { StoredUser } from '../src/domain/users/user.ts';
import { migrateTo, migrationNames, openDatabase } from '../src/storage/open-database.ts';
import { createSqlStore } from '../src/storage/sql-store.ts';
import { ApiClient, login } from './support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestDatabase, engines, startTestServer, type TestDatabase, type TestServer } from './support/harness.ts';

/** The release before this turn's migrations (008 indexes and search, 009 import jobs, 010 access reviews, 011 token names). */
const PREVIOUS = '007-mail-delivery';
const ALICE_PASSWORD = 'alice password 12345';
const at = (minutes: number) => new Date(Date.now() - 60 * 60_000 + minutes * 60_000).toISOString();

/**
 * Upgrades keep data (issue 10): a database as the previous release left it, with users, roles,
 * assignments, tokens (two of one name), a session and audit events, is opened by today's server
 * (which migrates it at start) and everything is still there and still works.
 */
describe.each(engines)('upgrading a database from %s on %s', (engine) => {
  let database: TestDatabase;
  let test: TestServer;
  const tokenSecrets = [`sph_${newId()}`, `sph_${newId()}`];
  const cookie = newId();
  let alice: StoredUser;
  let bob: StoredUser;
  let acmeId: string;
  let customRoleId: string;
  let eventIds: string[];

  beforeAll(async () => {
    expect(migrationNames).toContain(PREVIOUS);
    expect(migrationNames.indexOf(PREVIOUS)).toBeLessThan(migrationNames.length - 1);
    database = await createTestDatabase(engine);
    const opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, report: () => undefined });
    await migrateTo(opened.db, PREVIOUS);
    // Written with today's store code, which only writes tables and columns the previous release had.
    const store: Store = createSqlStore(opened.db, opened.engine);
    const user = (email: string, homeTenantId: string, passwordHash: string, changes: Partial<StoredUser> = {}): StoredUser => ({
      id: newId(),
      email,
      displayName: email.split('@')[0]!,
      homeTenantId,
      status: 'active',
      mustChangePassword: false,
      passwordHash,
      passwordExpiresAt: null,
      createdAt: at(0),
      updatedAt: at(0),
      lastLoginAt: null,
      lastLoginIp: null,
      lastLoginUserAgent: null,
      ...changes,
    });
    for (const role of builtInRoleDefinitions) {
      await store.roles.create({ id: role.id, name: role.name, description: role.description, tenantId: null, builtIn: true, permissions: [], createdAt: at(0), updatedAt: at(0) });
    }
    const defaultId = newId();
    acmeId = newId();
    await store.tenants.create({ id: defaultId, slug: 'default', name: 'Default', createdAt: at(0), updatedAt: at(0) });
    await store.tenants.create({ id: acmeId, slug: 'acme', name: 'Acme', createdAt: at(1), updatedAt: at(1) });
    customRoleId = newId();
    await store.roles.create({ id: customRoleId, name: 'acme-auditor', description: 'reads the trail', tenantId: acmeId, builtIn: false, permissions: ['ViewAuditLogs', 'ViewUsers'], createdAt: at(1), updatedAt: at(1) });
    const admin = user(ADMIN_EMAIL, defaultId, await hashPassword(ADMIN_PASSWORD));
    alice = user('alice.archer@acme.example', acmeId, await hashPassword(ALICE_PASSWORD), { displayName: 'Alice Archer', lastLoginAt: at(5) });
    bob = user('bob.builder@example.com', defaultId, await hashPassword('bob password 12345'), { displayName: 'Bob Builder' });
    for (const person of [admin, alice, bob]) await store.users.create(person);
    await store.assignments.set({ userId: admin.id, tenantId: defaultId, roleId: 'admin', assignedAt: at(0), assignedBy: null });
    await store.assignments.set({ userId: admin.id, tenantId: acmeId, roleId: 'admin', assignedAt: at(1), assignedBy: null });
    await store.assignments.set({ userId: alice.id, tenantId: acmeId, roleId: customRoleId, assignedAt: at(2), assignedBy: admin.id });
    await store.assignments.set({ userId: bob.id, tenantId: defaultId, roleId: 'viewer', assignedAt: at(2), assignedBy: admin.id });
    await store.assignments.set({ userId: bob.id, tenantId: acmeId, roleId: 'operator', assignedAt: at(3), assignedBy: admin.id });
    // Two active tokens of one name: allowed before migration 011.
    for (const [index, secret] of tokenSecrets.entries()) {
      await store.tokens.create({ id: newId(), userId: alice.id, name: 'ci', tokenHash: hashSecret(secret), prefix: secret.slice(0, 8), createdAt: at(4 + index), expiresAt: null, lastUsedAt: null, revokedAt: null });
    }
    await store.sessions.create({
      id: newId(),
      userId: bob.id,
      tokenHash: hashSecret(cookie),
      csrfHash: hashSecret('csrf'),
      createdAt: at(50),
      lastSeenAt: at(59),
      expiresAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
      ip: null,
      userAgent: null,
      endedAt: null,
      endReason: null,
      method: 'password',
    });
    eventIds = [];
    for (const [index, action] of ['role.assigned', 'user.created', 'token.created'].entries()) {
      const id = newId();
      eventIds.push(id);
      await store.audit.append({
        id,
        occurredAt: at(10 + index),
        tenantId: acmeId,
        actorId: admin.id,
        actorEmail: admin.email,
        category: index === 0 ? 'rbac' : 'users',
        action,
        outcome: 'success',
        subjectType: 'user',
        subjectId: alice.id,
        diff: null,
        detail: null,
        ip: null,
        userAgent: null,
      });
    }
    await opened.db.destroy();
    // Today's server: it runs the remaining migrations at start, over that data.
    test = await startTestServer(engine, { database });
  });
  afterAll(async () => {
    await test?.close();
    await database?.drop();
  });

  it('keeps every user, tenant, role and assignment', async () => {
    const acme = test.admin.inTenant('acme');
    const members = await acme.get('/api/v1/users?limit=50');
    expect(members.status, JSON.stringify(members.body)).toBe(200);
    expect((members.body.items as { email: string; role: string }[]).map(({ email, role }) => `${email}:${role}`).sort()).toEqual(
      expect.arrayContaining([`${alice.email}:acme-auditor`, `${bob.email}:Operator`]),
    );
    const roles = await acme.get('/api/v1/roles');
    expect((roles.body.items as { name: string; permissions: string[] }[]).find((role) => role.name === 'acme-auditor')).toMatchObject({ permissions: ['ViewAuditLogs', 'ViewUsers'] });
    expect((await test.admin.get(`/api/v1/users/${bob.id}`)).body).toMatchObject({ email: bob.email, role: 'Viewer', homeTenant: 'default' });
  });

  it('finds the users already there by search, through the new index (three letters or more) and the short path', async () => {
    const acme = test.admin.inTenant('acme');
    for (const search of ['archer', 'ARCH', 'acme.exa', 'al']) {
      const found = await acme.get(`/api/v1/users?search=${encodeURIComponent(search)}`);
      expect((found.body.items as { id: string }[]).map((item) => item.id), search).toContain(alice.id);
    }
    expect((await acme.get('/api/v1/users?search=builder')).body.items.map((item: { id: string }) => item.id)).toEqual([bob.id]);
  });

  it('still signs in with the old password, and the old tokens and session still work (the tokens renamed apart)', async () => {
    const signedIn = await login(test.url, alice.email, ALICE_PASSWORD);
    expect(signedIn.response.status).toBe(200);
    for (const secret of tokenSecrets) {
      const me = await new ApiClient(test.url, { token: secret }).get('/api/v1/me');
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body.email ?? me.body.user?.email).toBe(alice.email);
    }
    const names = (await signedIn.client.get('/api/v1/me/tokens')).body;
    const list = (names.items ?? names) as { name: string }[];
    expect(list.map((token) => token.name).sort()).toEqual(['ci', 'ci (2)']);
    expect((await new ApiClient(test.url, { cookie: `sophon_session=${cookie}` }).get('/api/v1/me')).status).toBe(200);
  });

  it('keeps the audit trail, readable by the filters the new indexes serve', async () => {
    const trail = await test.admin.inTenant('acme').get(`/api/v1/audit?user=${alice.id}&limit=50`);
    expect(trail.status, JSON.stringify(trail.body)).toBe(200);
    const ids = (trail.body.items as { id: string }[]).map((event) => event.id);
    for (const id of eventIds) expect(ids).toContain(id);
    const rbac = await test.admin.inTenant('acme').get('/api/v1/audit?category=rbac&limit=50');
    expect((rbac.body.items as { id: string }[]).map((event) => event.id)).toContain(eventIds[0]);
  });
});

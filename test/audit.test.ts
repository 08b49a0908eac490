import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../src/bootstrap.ts';
import { ManualClock } from '../src/domain/clock.ts';
import type { Actor } from '../src/domain/context.ts';
import { createServices, type Services } from '../src/domain/services.ts';
import type { Store } from '../src/domain/store.ts';
import { migrate, openDatabase, type OpenedDatabase } from '../src/storage/open-database.ts';
import { createSqlStore } from '../src/storage/sql-store.ts';
import type { ApiClient } from './support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, createTestDatabase, engines, startTestServer, uniqueEmail, type TestDatabase, type TestServer } from './support/harness.ts';

interface Event {
  id: string;
  occurredAt: string;
  tenantId: string;
  actorId: string | null;
  actorEmail: string | null;
  category: string;
  action: string;
  outcome: string;
  subjectType: string | null;
  subjectId: string | null;
  diff: { before: Record<string, unknown> | null; after: Record<string, unknown> | null } | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

const HOUR = 3_600_000;

describe.each(engines)('audit trail on %s', (engine) => {
  let test: TestServer;
  let adminId: string;

  beforeAll(async () => {
    test = await startTestServer(engine);
    adminId = (await test.admin.get('/api/v1/me')).body.user.id;
  });
  afterAll(() => test.close());

  /** The newest events of the default tenant matching `filter`. */
  const events = async (query = '', client: ApiClient = test.admin): Promise<Event[]> => {
    const response = await client.get(`/api/v1/audit?limit=500${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.items;
  };
  const latest = async (action: string, subjectId?: string) =>
    (await events()).find((event) => event.action === action && (subjectId === undefined || event.subjectId === subjectId));

  describe('what is recorded', () => {
    it('records role creation, edits and deletion under rbac with actor and diff', async () => {
      const created = (await test.admin.post('/api/v1/roles', { name: 'audited', description: 'v1', permissions: ['ViewUsers'] })).body;
      await test.admin.patch(`/api/v1/roles/${created.id}`, { description: 'v2', permissions: ['ViewUsers', 'ViewAuditLogs'] });
      await test.admin.delete(`/api/v1/roles/${created.id}`);

      const createdEvent = await latest('role.created', created.id);
      expect(createdEvent).toMatchObject({ category: 'rbac', actorId: adminId, actorEmail: ADMIN_EMAIL, subjectType: 'role', outcome: 'success' });
      expect(createdEvent!.diff).toEqual({ before: null, after: { name: 'audited', description: 'v1', scope: 'tenant', permissions: ['ViewUsers'] } });

      const updated = await latest('role.updated', created.id);
      expect(updated!.category).toBe('rbac');
      expect(updated!.diff).toEqual({ before: { description: 'v1', permissions: ['ViewUsers'] }, after: { description: 'v2', permissions: ['ViewUsers', 'ViewAuditLogs'] } });

      const deleted = await latest('role.deleted', created.id);
      expect(deleted!.diff!.after).toBeNull();
      expect(deleted!.diff!.before).toMatchObject({ name: 'audited' });
    });

    it('records role assignments under rbac with the role before and after', async () => {
      const user = (await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Promoted', role: 'Viewer' })).body.user;
      await test.admin.put(`/api/v1/users/${user.id}/role`, { role: 'Operator' });
      const assigned = (await events('&category=rbac')).filter((event) => event.subjectId === user.id && event.action === 'role.assigned');
      expect(assigned.map((event) => event.diff)).toEqual([
        { before: { role: 'Viewer' }, after: { role: 'Operator' } },
        { before: null, after: { role: 'Viewer' } },
      ]);
    });

    it('records user changes with what changed, and where the request came from', async () => {
      const user = (await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Before' })).body.user;
      await test.admin.request('PATCH', `/api/v1/users/${user.id}`, { displayName: 'After' }, { 'user-agent': 'audit-test/1.0' });
      const updated = await latest('user.updated', user.id);
      expect(updated).toMatchObject({ category: 'users', ip: '127.0.0.1', userAgent: 'audit-test/1.0', diff: { before: { displayName: 'Before' }, after: { displayName: 'After' } } });
      expect(await latest('user.created', user.id)).toMatchObject({ category: 'users' });
    });

    it('records tenants, resources and tokens, never with a secret', async () => {
      const tenant = (await test.admin.post('/api/v1/tenants', { slug: `t-${Date.now()}`, name: 'Audited tenant' })).body;
      expect(await latest('tenant.created', tenant.id)).toMatchObject({ category: 'tenants', diff: { after: { name: 'Audited tenant' } } });
      const workflow = (await test.admin.post('/api/v1/workflows', { name: 'audited flow' })).body;
      expect(await latest('workflow.created', workflow.id)).toMatchObject({ category: 'resources' });
      await test.admin.delete(`/api/v1/workflows/${workflow.id}`);
      expect(await latest('workflow.deleted', workflow.id)).toMatchObject({ diff: { before: { name: 'audited flow' }, after: null } });
      const { token, secret } = (await test.admin.post('/api/v1/me/tokens', { name: 'audited token' })).body;
      const tokenEvent = await latest('token.created', token.id);
      expect(tokenEvent).toMatchObject({ category: 'tokens' });
      expect(JSON.stringify(tokenEvent)).not.toContain(secret);
    });

    it('records successful and failed logins, without the password tried', async () => {
      await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      await test.login(ADMIN_EMAIL, 'a wrong password guess');
      await test.login('stranger@example.test', 'another wrong guess');
      const auth = await events('&category=auth');
      expect(auth.find((event) => event.action === 'login.succeeded')).toMatchObject({ actorId: adminId, subjectType: 'session' });
      const failures = auth.filter((event) => event.action === 'login.failed');
      expect(failures.find((event) => event.detail?.reason === 'wrong password')).toMatchObject({ actorId: adminId, outcome: 'failure' });
      expect(failures.find((event) => event.detail?.reason === 'unknown email')).toMatchObject({ actorId: null, detail: { email: 'stranger@example.test' } });
      expect(JSON.stringify(failures)).not.toContain('wrong guess');
      expect(JSON.stringify(failures)).not.toContain('wrong password guess');
    });

    it('records refused authorizations under authz', async () => {
      const viewer = await createSignedInUser(test, { role: 'Viewer' });
      expect((await viewer.client.post('/api/v1/agents', { name: 'nope' })).status).toBe(403);
      const denied = (await events(`&category=authz&user=${viewer.id}`))[0];
      expect(denied).toMatchObject({
        action: 'permission.denied',
        outcome: 'denied',
        actorId: viewer.id,
        detail: { route: 'POST /api/v1/agents', code: 'PERMISSION_MISSING', missingPermission: 'ManageAgents', tenant: 'default' },
      });
    });

    it('records refusals decided inside a command, like a privilege escalation', async () => {
      await test.admin.post('/api/v1/roles', { name: 'role-manager', permissions: ['ManageRoles', 'ViewUsers'] });
      const manager = await createSignedInUser(test, { role: 'role-manager' });
      expect((await manager.client.post('/api/v1/roles', { name: 'grab', permissions: ['ManageUsers'] })).status).toBe(403);
      const denied = (await events(`&category=authz&user=${manager.id}`))[0];
      expect(denied).toMatchObject({ action: 'permission.denied', outcome: 'denied', detail: { route: 'POST /api/v1/roles', code: 'PRIVILEGE_ESCALATION' } });
    });

    it('records a refusal once, not once at the route and again in the command', async () => {
      const viewer = await createSignedInUser(test, { role: 'Viewer' });
      await viewer.client.delete(`/api/v1/users/${adminId}`);
      expect(await events(`&category=authz&user=${viewer.id}`)).toHaveLength(1);
    });

    it('does not record a command that failed', async () => {
      const before = (await events()).length;
      expect((await test.admin.post('/api/v1/roles', { name: 'admin', permissions: [] })).status).toBe(409);
      const after = await events();
      expect(after.length).toBe(before);
    });
  });

  describe('querying', () => {
    let subject: { id: string; client: ApiClient };

    beforeAll(async () => {
      subject = await createSignedInUser(test, { role: 'Viewer' });
    });

    it('filters by user: events by them and about them', async () => {
      const byUser = await events(`&user=${subject.id}`);
      expect(byUser.length).toBeGreaterThan(0);
      expect(byUser.every((event) => event.actorId === subject.id || event.subjectId === subject.id)).toBe(true);
      expect(byUser.map((event) => event.action)).toEqual(expect.arrayContaining(['user.created', 'login.succeeded', 'password.changed']));
    });

    it('filters by category', async () => {
      const rbac = await events('&category=rbac');
      expect(rbac.length).toBeGreaterThan(0);
      expect(rbac.every((event) => event.category === 'rbac')).toBe(true);
    });

    it('filters by time: since is inclusive, until exclusive', async () => {
      test.clock.advance(HOUR);
      const start = test.clock.now().toISOString();
      await test.admin.post('/api/v1/agents', { name: 'in the window' });
      test.clock.advance(HOUR);
      const end = test.clock.now().toISOString();
      await test.admin.post('/api/v1/agents', { name: 'after the window' });

      const inWindow = await events(`&since=${encodeURIComponent(start)}&until=${encodeURIComponent(end)}`);
      expect(inWindow.map((event) => event.action)).toEqual(['agent.created']);
      expect(inWindow[0]!.diff!.after).toEqual({ name: 'in the window' });
      const sinceEnd = await events(`&since=${encodeURIComponent(end)}&category=resources`);
      expect(sinceEnd.map((event) => event.diff!.after)).toEqual([{ name: 'after the window' }]);
    });

    it('accepts times with an offset', async () => {
      const inParis = new Date(test.clock.now().getTime() + HOUR).toISOString().replace('Z', '+01:00');
      const response = await test.admin.get(`/api/v1/audit?since=${encodeURIComponent(inParis)}`);
      expect(response.status).toBe(200);
    });

    it('pages newest first with a cursor, without gaps or repeats', async () => {
      const all = (await events()).map((event) => event.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Event[]; nextCursor: string | null } } = await test.admin.get(`/api/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((event) => event.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all);
      expect([...seen].sort().reverse()).toEqual(seen);
    });

    it('refuses filters it does not understand, saying which', async () => {
      const category = await test.admin.get('/api/v1/audit?category=gossip');
      expect(category.status).toBe(400);
      expect(category.body.error.message).toContain('category');
      const since = await test.admin.get('/api/v1/audit?since=yesterday');
      expect(since.status).toBe(400);
      expect(since.body.error.message).toContain('since');
    });

    it('is behind ViewAuditLogs', async () => {
      const operator = await createSignedInUser(test, { role: 'Operator' });
      const refused = await operator.client.get('/api/v1/audit');
      expect(refused.status).toBe(403);
      expect(refused.body.error.missingPermission).toBe('ViewAuditLogs');
      expect((await subject.client.get('/api/v1/audit')).status).toBe(200);
    });
  });
});

/**
 * A change and its audit event are written in one transaction: over a store whose audit
 * append fails inside transactions, no command leaves its change behind.
 */
describe.each(engines)('audit in the same transaction on %s', (engine) => {
  let database: TestDatabase;
  let opened: OpenedDatabase;
  let services: Services;
  let actor: Actor;

  /** The real store, except that inside a transaction, appending to the audit log throws. */
  function withFailingAudit(store: Store): Store {
    return {
      ...store,
      transaction: (work) =>
        store.transaction((transaction) => {
          const failing: Store = {
            ...transaction,
            audit: { ...transaction.audit, append: async () => Promise.reject(new Error('the audit log is unavailable')) },
            transaction: (nested) => nested(failing),
          };
          return work(failing);
        }),
    };
  }

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    await migrate(opened.db);
    const store = createSqlStore(opened.db, opened.engine);
    const clock = new ManualClock();
    await bootstrap(store, clock, ADMIN_EMAIL);
    services = createServices({
      store: withFailingAudit(store),
      clock,
      settings: {
        passwordMinLength: 12,
        maxCustomRolesPerTenant: 100,
        sessionIdleTimeout: 8 * HOUR,
        sessionAbsoluteTimeout: 7 * 24 * HOUR,
        initialPasswordLifetime: 7 * 24 * HOUR,
        invitationLifetime: 7 * 24 * HOUR,
        passwordResetLifetime: HOUR,
        publicUrl: 'http://127.0.0.1:8080',
        mailEnabled: false,
      },
    });
    const admin = (await store.users.getByEmail(ADMIN_EMAIL))!;
    actor = { userId: admin.id, email: admin.email, homeTenantId: admin.homeTenantId, tenantId: admin.homeTenantId, ip: null, userAgent: null, sessionId: null, tokenId: null };
  });
  afterEach(async () => {
    expect(await opened.db.selectFrom('audit_events').select('action').where('action', '!=', 'system.bootstrapped').execute()).toEqual([]);
  });
  afterAll(async () => {
    await opened.db.destroy();
    await database.drop();
  });

  it('does not keep a role whose audit event could not be written', async () => {
    await expect(services.roles.create(actor, { name: 'ghost', permissions: ['ViewUsers'], scope: 'tenant' })).rejects.toThrow('audit log is unavailable');
    expect((await services.roles.list(actor)).map((role) => role.name)).not.toContain('ghost');
  });

  it('does not keep a user whose audit event could not be written', async () => {
    await expect(services.users.create(actor, { email: 'ghost@example.test', displayName: 'Ghost', password: 'a long enough password' })).rejects.toThrow('audit log is unavailable');
    expect(await opened.db.selectFrom('users').select('id').where('email_normalized', '=', 'ghost@example.test').executeTakeFirst()).toBeUndefined();
  });

  it('does not keep a tenant whose audit event could not be written', async () => {
    await expect(services.tenants.create(actor, { slug: 'ghost', name: 'Ghost' })).rejects.toThrow('audit log is unavailable');
    expect(await opened.db.selectFrom('tenants').select('id').where('slug', '=', 'ghost').executeTakeFirst()).toBeUndefined();
    expect(await opened.db.selectFrom('role_assignments').select('user_id').where('user_id', '=', actor.userId).execute()).toHaveLength(1);
  });

  it('does not keep a resource or a token whose audit event could not be written', async () => {
    await expect(services.resources.create(actor, 'documents', { name: 'ghost document' })).rejects.toThrow('audit log is unavailable');
    await expect(services.tokens.create(actor, { name: 'ghost token' })).rejects.toThrow('audit log is unavailable');
    expect(await opened.db.selectFrom('resources').select('id').execute()).toEqual([]);
    expect(await opened.db.selectFrom('api_tokens').select('id').execute()).toEqual([]);
  });
});

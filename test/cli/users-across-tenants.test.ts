import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { ApiClient } from '../support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { enrol } from '../support/two-factor.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

const DAY = 86_400_000;

/**
 * A user id is global and a deleted user's data lies in every tenant they belonged to: the
 * `sophon admin users` commands act wherever the caller may act, and say per tenant what they
 * did and what they had to leave — never reaching into a tenant the caller has no right to.
 *
 * The caller, "boss", is Admin of default (home), acme and hooli, Viewer of globex, and has no
 * role in initech.
 */
describe.each(engines)('sophon admin users across tenants on %s', (engine) => {
  let test: TestServer;
  const config = temporaryConfig();
  let boss: { id: string; token: string };
  const as = (token: string, ...args: string[]) => runCli(args, { env: { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file } });
  const sophon = (...args: string[]) => as(boss.token, ...args);
  const admin = (tenant?: string) => test.admin.inTenant(tenant);
  const setRole = async (userId: string, tenant: string, role: string) => expect((await admin(tenant).put(`/api/v1/users/${userId}/role`, { role })).status).toBe(200);
  const trail = async (tenant: string, category: string) => (await admin(tenant).get(`/api/v1/audit?category=${category}`)).body.items as Array<{ action: string; subjectId: string | null; actorId: string; detail: any }>;

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['acme', 'hooli', 'globex', 'initech']) expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    const signedIn = await createSignedInUser(test, { role: 'Admin' });
    boss = { id: signedIn.id, token: await tokenFor(signedIn.client, '365d') };
    await setRole(boss.id, 'acme', 'Admin');
    await setRole(boss.id, 'hooli', 'Admin');
    await setRole(boss.id, 'globex', 'Viewer');
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  describe('a user homed in another tenant', () => {
    let alice: { id: string; email: string; client: ApiClient };
    beforeAll(async () => {
      alice = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' }, admin('acme'));
      await enrol(test, alice.client, USER_PASSWORD);
    });

    it('sophon admin users reset-2fa <id> finds them in the tenant where the caller is Admin, without --tenant', async () => {
      const result = await sophon('admin', 'users', 'reset-2fa', alice.id, '--json');
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toMatchObject({ userId: alice.id, wasEnabled: true });
      expect(result.stderr).toContain('Acting in tenant "acme"');
      const reset = (await trail('acme', 'auth')).filter((event) => event.action === 'two_factor.reset');
      expect(reset).toEqual([expect.objectContaining({ subjectId: alice.id, actorId: boss.id })]);
    });

    it('every sophon admin users <cmd> <user> finds them, by id or by email', async () => {
      const [show, activity, permissions, resetPassword, update] = await Promise.all([
        sophon('admin', 'users', 'show', alice.email, '--json'),
        sophon('admin', 'users', 'activity', alice.id, '--json'),
        sophon('admin', 'users', 'effective-permissions', alice.email, '--json'),
        sophon('admin', 'users', 'reset-password', alice.id, '--json'),
        sophon('admin', 'users', 'update', alice.email, '--name', 'Alice Anywhere', '--json'),
      ]);
      for (const result of [show, activity, permissions, resetPassword, update]) expect(result.code, result.stderr).toBe(0);
      expect(show.json()).toMatchObject({ id: alice.id, homeTenant: 'acme', role: 'Viewer' });
      expect(activity.json().user.id).toBe(alice.id);
      expect(permissions.json().tenants.map((entry: { tenantSlug: string }) => entry.tenantSlug)).toEqual(['acme']);
      expect(resetPassword.json().link).toBeTruthy();
      expect((await admin('acme').get(`/api/v1/users/${alice.id}`)).body.displayName).toBe('Alice Anywhere');

      expect((await sophon('admin', 'users', 'suspend', alice.email)).code).toBe(0);
      expect((await admin('acme').get(`/api/v1/users/${alice.id}`)).body.status).toBe('suspended');
      expect((await sophon('admin', 'users', 'reactivate', alice.id)).code).toBe(0);
      expect((await admin('acme').get(`/api/v1/users/${alice.id}`)).body.status).toBe('active');
      const { client: session } = await test.login(alice.email, USER_PASSWORD);
      expect((await session.get('/api/v1/me')).status).not.toBe(401);
      const logout = await sophon('admin', 'users', 'logout', alice.email, '--json');
      expect(logout.code, logout.stderr).toBe(0);
      expect((await session.get('/api/v1/me')).status).toBe(401);
    });

    it('keeps to the tenant given with --tenant', async () => {
      const result = await sophon('--tenant', 'default', 'admin', 'users', 'reset-2fa', alice.id);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('not found');
    });

    it('is not found for a caller with no ViewUsers where they are, exactly like a user that does not exist', async () => {
      const outsider = await createSignedInUser(test, { role: 'Admin' });
      const outsiderToken = await tokenFor(outsider.client);
      const [byId, byEmail, nobody] = await Promise.all([
        as(outsiderToken, 'admin', 'users', 'reset-2fa', alice.id),
        as(outsiderToken, 'admin', 'users', 'show', alice.email),
        as(outsiderToken, 'admin', 'users', 'show', newId()),
      ]);
      expect([byId.code, byEmail.code, nobody.code]).toEqual([4, 4, 4]);
      const api = new ApiClient(test.url, { token: outsiderToken });
      const [hidden, missing] = await Promise.all([api.get(`/api/v1/users/${alice.id}/memberships`), api.get(`/api/v1/users/${newId()}/memberships`)]);
      expect([hidden.status, missing.status]).toEqual([404, 404]);
      expect(hidden.body.error.code).toBe(missing.body.error.code);
      expect((await api.get(`/api/v1/users/${encodeURIComponent(alice.email)}/memberships`)).status).toBe(404);
      expect((await new ApiClient(test.url, { token: boss.token }).get(`/api/v1/users/${alice.id}/memberships`)).body).toEqual({
        user: expect.objectContaining({ id: alice.id, homeTenant: 'acme' }),
        memberships: [expect.objectContaining({ tenantSlug: 'acme', roleName: 'Viewer', home: true })],
      });
    });

    it('stops with exit 3, naming the tenant, when the caller sees them there but lacks the permission', async () => {
      const auditor = await createSignedInUser(test, { role: 'Admin' });
      await setRole(auditor.id, 'acme', 'Viewer');
      const result = await as(await tokenFor(auditor.client), 'admin', 'users', 'suspend', alice.id);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('ManageUsers');
      expect(result.stderr).toContain('tenant "acme"');
      expect((await admin('acme').get(`/api/v1/users/${alice.id}`)).body.status).toBe('active');
      expect((await trail('acme', 'authz')).filter((event) => event.actorId === auditor.id)).toEqual([]);
    });

    it('sophon admin users delete <id> deletes them from their home tenant', async () => {
      const result = await sophon('admin', 'users', 'delete', alice.id, '--yes', '--json');
      expect(result.code, result.stderr).toBe(0);
      expect((await admin('acme').get(`/api/v1/users/${alice.id}`)).status).toBe(404);
    });
  });

  describe("a deleted user's orphans", () => {
    let leaverId: string;
    let heirId: string;
    const documents: Record<string, string[]> = {};

    beforeAll(async () => {
      const leaver = await createSignedInUser(test, { role: 'Admin' });
      leaverId = leaver.id;
      const placed = { default: 1, acme: 2, hooli: 1, globex: 1, initech: 1 };
      for (const [tenant, count] of Object.entries(placed)) {
        if (tenant !== 'default') await setRole(leaver.id, tenant, 'Admin');
        documents[tenant] = [];
        for (let n = 0; n < count; n++) documents[tenant].push((await leaver.client.inTenant(tenant).post('/api/v1/documents', { name: `${tenant} ${n}` })).body.id);
      }
      expect((await test.admin.delete(`/api/v1/users/${leaver.id}`)).body).toEqual({ orphanedResources: 6 });
      const heir = await test.admin.post('/api/v1/users', { email: uniqueEmail('heir'), displayName: 'Heir', role: 'Viewer' });
      heirId = heir.body.user.id;
      await setRole(heirId, 'acme', 'Viewer');
    });

    const ownerOf = async (tenant: string, id: string) => (await admin(tenant).get(`/api/v1/documents/${id}`)).body.ownerId;
    const bySlug = <T extends { tenant: string }>(entries: T[]) => [...entries].sort((a, b) => a.tenant.localeCompare(b.tenant));

    it('sophon admin users reassign --from <old-id> --to <new-id> reassigns in every tenant where it can, and counts the rest per tenant', async () => {
      const result = await sophon('admin', 'users', 'reassign', '--from', leaverId, '--to', heirId, '--json');
      expect(result.code, result.stderr).toBe(0);
      const answer = result.json();
      expect(answer.reassigned).toBe(3);
      expect(bySlug(answer.tenants)).toEqual([expect.objectContaining({ tenant: 'acme', reassigned: 2 }), expect.objectContaining({ tenant: 'default', reassigned: 1 })]);
      expect(bySlug(answer.skipped)).toEqual([
        expect.objectContaining({ tenant: 'globex', count: 1, reason: 'PERMISSION_MISSING' }),
        expect.objectContaining({ tenant: 'hooli', count: 1, reason: 'RECIPIENT_NOT_MEMBER' }),
      ]);
      // initech's orphan is counted but never named: the caller has no role there.
      expect(answer.inOtherTenants).toBe(1);
      expect(JSON.stringify(answer)).not.toContain('initech');

      for (const tenant of ['default', 'acme']) for (const id of documents[tenant]!) expect(await ownerOf(tenant, id)).toBe(heirId);
      for (const tenant of ['hooli', 'globex', 'initech']) expect(await ownerOf(tenant, documents[tenant]![0]!)).toBeNull();
      for (const tenant of ['default', 'acme']) {
        const events = (await trail(tenant, 'resources')).filter((event) => event.action === 'orphans.reassigned');
        expect(events.map((event) => event.detail)).toEqual([{ reassigned: tenant === 'acme' ? 2 : 1 }]);
      }
      expect((await trail('initech', 'resources')).filter((event) => event.action === 'orphans.reassigned')).toEqual([]);
    });

    it('prints the count per tenant for people', async () => {
      await setRole(heirId, 'hooli', 'Viewer');
      const result = await sophon('admin', 'users', 'reassign', '--from', leaverId, '--to', heirId);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/hooli\s+1\s+reassigned/);
      expect(result.stdout).toMatch(/globex\s+1\s+skipped: you lack ManageUsers there/);
      expect(result.stdout).toContain('Reassigned 1 orphaned resource(s)');
      expect(result.stdout).toContain('1 more in tenants where you have no role');
      expect(await ownerOf('hooli', documents.hooli![0]!)).toBe(heirId);
    });

    it('sophon admin users purge-orphans --older-than 30d purges in every tenant where it may, past 1,000, and counts per tenant what it leaves', async () => {
      // Orphans of other departed users: 1,005 in default (more than one batch, and more than one answer lists) and 3 in acme.
      const { store } = test.server.services.context;
      const [home, acme] = [(await store.tenants.getBySlug('default'))!, (await store.tenants.getBySlug('acme'))!];
      const now = test.clock.now().toISOString();
      await store.transaction(async (tx) => {
        for (const [tenantId, count] of [[home.id, 1005], [acme.id, 3]] as const) {
          for (let n = 0; n < count; n++) {
            await tx.resources.create({ id: newId(), tenantId, kind: 'memory', name: `bulk ${n}`, ownerId: null, previousOwnerId: newId(), orphanedAt: now, content: null, createdAt: now, updatedAt: now });
          }
        }
      });
      test.clock.advance(31 * DAY);

      const dryRun = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d', '--dry-run', '--json');
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(dryRun.json()).toMatchObject({ dryRun: true, count: 1008, itemsTruncated: true });
      expect(dryRun.json().items).toHaveLength(1000);
      expect(bySlug(dryRun.json().tenants)).toEqual([expect.objectContaining({ tenant: 'acme', count: 3 }), expect.objectContaining({ tenant: 'default', count: 1005 })]);
      expect(dryRun.json().skipped).toEqual([expect.objectContaining({ tenant: 'globex', count: 1, reason: 'PERMISSION_MISSING' })]);

      const purged = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d', '--yes');
      expect(purged.code, purged.stderr).toBe(0);
      expect(purged.stdout).toMatch(/default\s+1005\s+purged/);
      expect(purged.stdout).toMatch(/acme\s+3\s+purged/);
      expect(purged.stdout).toMatch(/globex\s+1\s+skipped: you lack ManageUsers there/);
      expect(purged.stdout).toContain('1008 orphaned resource(s) purged');
      expect(purged.stdout).not.toContain('initech');

      expect(await store.resources.countOrphans({ tenantIds: [home.id, acme.id] })).toEqual([]);
      expect((await admin('globex').get(`/api/v1/documents/${documents.globex![0]}`)).status).toBe(200);
      expect((await admin('initech').get(`/api/v1/documents/${documents.initech![0]}`)).status).toBe(200);
      for (const [tenant, count] of [['default', 1005], ['acme', 3]] as const) {
        const events = (await trail(tenant, 'resources')).filter((event) => event.action === 'orphans.purged');
        expect(events.map((event) => [event.detail.count, event.detail.purged.length])).toEqual([[count, count]]);
      }
    });
  });
});

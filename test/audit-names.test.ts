import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from './support/api-client.ts';
import { ADMIN_EMAIL, createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

interface Entry {
  id: string;
  tenantId: string;
  tenantSlug: string | null;
  tenantName: string | null;
  actorId: string | null;
  actorEmail: string | null;
  actorName: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  subjectName: string | null;
  subjectEmail: string | null;
}

/**
 * The audit trail read by name (issue 12): each event with its tenant's slug and the names
 * behind its ids, joined in the page's statement; `scope=all` reads the union of the tenants
 * where the caller may read the trail (every tenant for the installation's admins), and a
 * tenant outside them never shows, through any filter, page or export.
 */
describe.each(engines)('audit trail by name on %s', (engine) => {
  let test: TestServer;
  const tenantIds: Record<string, string> = {};
  let auditor: { id: string; email: string; client: ApiClient };
  let carol: { id: string; email: string };
  let gus: { id: string; email: string };

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['alpha', 'beta', 'gamma']) {
      const created = await test.admin.post('/api/v1/tenants', { slug, name: `Tenant ${slug}` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      tenantIds[slug] = created.body.id;
    }
    // Viewer (ViewAuditLogs, ViewUsers) in alpha and beta, nothing in gamma or default.
    auditor = await createSignedInUser(test, { role: 'Viewer', tenant: 'alpha', displayName: 'Ada Auditor' });
    expect((await test.admin.inTenant('beta').put(`/api/v1/users/${auditor.id}/role`, { role: 'Viewer' })).status).toBe(200);
    const carolEmail = uniqueEmail('carol');
    carol = { email: carolEmail, id: (await test.admin.post('/api/v1/users', { email: carolEmail, displayName: 'Carol Subject', tenant: 'alpha', role: 'Viewer' })).body.user.id };
    expect((await test.admin.inTenant('alpha').put(`/api/v1/users/${carol.id}/role`, { role: 'Operator' })).status).toBe(200);
    const gusEmail = uniqueEmail('gus');
    gus = { email: gusEmail, id: (await test.admin.post('/api/v1/users', { email: gusEmail, displayName: 'Gus Gamma', tenant: 'gamma', role: 'Viewer' })).body.user.id };
    expect((await test.admin.inTenant('gamma').put(`/api/v1/users/${gus.id}/role`, { role: 'Operator' })).status).toBe(200);
    expect((await test.admin.post('/api/v1/users', { email: uniqueEmail('bea'), displayName: 'Bea Beta', tenant: 'beta', role: 'Viewer' })).status).toBe(201);
  });
  afterAll(() => test.close());

  const read = async (client: ApiClient, query: string): Promise<Entry[]> => {
    const answer = await client.get(`/api/v1/audit?limit=500${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.items;
  };

  /** Every page of a listing, by cursor, `limit` at a time. */
  async function everyPage(client: ApiClient, query: string, limit: number): Promise<Entry[]> {
    const all: Entry[] = [];
    let cursor: string | null = null;
    do {
      const answer: ApiResponse = await client.get(`/api/v1/audit?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      all.push(...answer.body.items);
      cursor = answer.body.nextCursor;
    } while (cursor);
    return all;
  }

  it("names the actor, the subject and the event's tenant", async () => {
    const assigned = (await read(auditor.client, '&category=rbac')).find((event) => event.action === 'role.assigned' && event.subjectId === carol.id);
    expect(assigned).toMatchObject({
      tenantId: tenantIds.alpha,
      tenantSlug: 'alpha',
      tenantName: 'Tenant alpha',
      actorEmail: ADMIN_EMAIL,
      subjectType: 'user',
      subjectName: 'Carol Subject',
      subjectEmail: carol.email,
    });
    expect(assigned!.actorName).toEqual(expect.any(String));
  });

  it("names a role subject by the role's name and a tenant subject by the tenant's", async () => {
    const created = await test.admin.inTenant('alpha').post('/api/v1/roles', { name: 'Named role', description: '', permissions: ['ViewUsers'] });
    expect(created.status).toBe(201);
    const roleEvent = (await read(auditor.client, '&category=rbac')).find((event) => event.action === 'role.created' && event.subjectId === created.body.id);
    expect(roleEvent).toMatchObject({ subjectType: 'role', subjectName: 'Named role', subjectEmail: null });
    const tenantEvent = (await read(test.admin, '&category=tenants')).find((event) => event.subjectType === 'tenant' && event.subjectId === tenantIds.beta);
    expect(tenantEvent).toMatchObject({ subjectName: 'Tenant beta', tenantSlug: 'default' });
  });

  it('keeps only the id of a user who is no longer a member of the tenant', async () => {
    const email = uniqueEmail('gone');
    const gone = (await test.admin.post('/api/v1/users', { email, displayName: 'Gone Soon', tenant: 'alpha', role: 'Viewer' })).body.user.id;
    expect((await test.admin.inTenant('alpha').delete(`/api/v1/users/${gone}`)).status).toBe(200);
    const events = (await read(auditor.client, `&user=${gone}`)).filter((event) => event.subjectId === gone);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event).toMatchObject({ subjectId: gone, subjectName: null, subjectEmail: null });
  });

  describe('scope=all', () => {
    it('is the union of the tenants where the caller holds ViewAuditLogs, newest first', async () => {
      const events = await read(auditor.client, '&scope=all');
      const slugs = new Set(events.map((event) => event.tenantSlug));
      expect([...slugs].sort()).toEqual(['alpha', 'beta']);
      expect(events.map((event) => event.id)).toEqual(events.map((event) => event.id).sort().reverse());
      expect(events.some((event) => event.subjectName === 'Bea Beta')).toBe(true);
      expect(events.some((event) => event.subjectName === 'Carol Subject')).toBe(true);
    });

    it('never shows a tenant the caller may not see, through any filter, page or cursor', async () => {
      const gamma = tenantIds.gamma;
      const queries = ['&scope=all', '&scope=all&category=users', '&scope=all&category=rbac', `&scope=all&user=${gus.id}`, '&scope=all&since=2000-01-01T00:00:00Z', '&scope=all&until=2100-01-01T00:00:00Z'];
      for (const query of queries) {
        const paged = await everyPage(auditor.client, query, 2);
        for (const event of paged) expect(event.tenantId, query).not.toBe(gamma);
        expect(paged.some((event) => event.subjectId === gus.id || event.actorId === gus.id), query).toBe(false);
      }
      // What the installation's admin sees of gamma, the auditor does not.
      expect((await read(test.admin, `&scope=all&user=${gus.id}`)).length).toBeGreaterThan(0);
      expect(await read(auditor.client, `&scope=all&user=${gus.id}`)).toEqual([]);
    });

    it('pages through the union in order, each event once (with and without a time window)', async () => {
      for (const window of ['', '&since=2000-01-01T00:00:00Z']) {
        const whole = await read(auditor.client, `&scope=all${window}`);
        const paged = await everyPage(auditor.client, `&scope=all${window}`, 3);
        expect(paged.map((event) => event.id)).toEqual(whole.map((event) => event.id));
      }
    });

    it("is every tenant's trail for an installation admin (ManageTenants and ViewAuditLogs in default)", async () => {
      const slugs = new Set((await everyPage(test.admin, '&scope=all', 200)).map((event) => event.tenantSlug));
      for (const slug of ['default', 'alpha', 'beta', 'gamma']) expect(slugs.has(slug), slug).toBe(true);
    });

    it('follows a role taken away on the very next request', async () => {
      const viewer = await createSignedInUser(test, { role: 'Viewer', tenant: 'beta' });
      expect((await test.admin.inTenant('gamma').put(`/api/v1/users/${viewer.id}/role`, { role: 'Viewer' })).status).toBe(200);
      expect(new Set((await read(viewer.client, '&scope=all')).map((event) => event.tenantSlug)).has('gamma')).toBe(true);
      expect((await test.admin.inTenant('gamma').delete(`/api/v1/users/${viewer.id}/role`)).status).toBe(204);
      expect(new Set((await read(viewer.client, '&scope=all')).map((event) => event.tenantSlug))).toEqual(new Set(['beta']));
    });

    it('exports the union of the tenants where the caller holds ExportAuditLogs, with the names', async () => {
      const exporter = await test.admin.inTenant('beta').post('/api/v1/roles', { name: 'Exporter', description: '', permissions: ['ViewAuditLogs', 'ExportAuditLogs'] });
      expect(exporter.status, JSON.stringify(exporter.body)).toBe(201);
      expect((await test.admin.inTenant('beta').put(`/api/v1/users/${auditor.id}/role`, { role: 'Exporter' })).status).toBe(200);
      const rowsOf = async (client: ApiClient) => {
        const exported = await client.get('/api/v1/audit/export?scope=all&format=json');
        expect(exported.status, JSON.stringify(exported.body)).toBe(200);
        return ((typeof exported.body === 'string' ? JSON.parse(exported.body) : exported.body) as { items: Entry[] }).items;
      };
      // ExportAuditLogs in beta only: alpha (Viewer there) and gamma stay out.
      const auditorRows = await rowsOf(auditor.client.inTenant('beta'));
      expect(new Set(auditorRows.map((row) => row.tenantSlug))).toEqual(new Set(['beta']));
      expect(auditorRows.find((row) => row.action === 'user.created' && row.subjectName === 'Bea Beta')).toBeDefined();
      const adminRows = await rowsOf(test.admin);
      expect(new Set(adminRows.map((row) => row.tenantSlug)).has('gamma')).toBe(true);
      expect(adminRows.find((row) => row.subjectId === gus.id && row.subjectType === 'user')).toMatchObject({ subjectName: 'Gus Gamma', subjectEmail: gus.email });
    });

    it('sends as many statements for a page of 50 as for a page of 2', async () => {
      const count = async (client: ApiClient, path: string) => {
        let sent: string[] = [];
        for (let attempt = 0; attempt < 3; attempt++) sent = await statementsOf(test, async () => expect((await client.get(path)).status).toBe(200));
        return sent.length;
      };
      for (const [client, filters] of [
        [auditor.client, '&scope=all'],
        [auditor.client, `&scope=all&user=${carol.id}`],
        [test.admin, '&scope=all&category=users'],
        [auditor.client, ''],
      ] as const) {
        const few = await count(client, `/api/v1/audit?limit=2${filters}`);
        const many = await count(client, `/api/v1/audit?limit=50${filters}`);
        expect(many, filters).toBe(few);
      }
    });
  });
});

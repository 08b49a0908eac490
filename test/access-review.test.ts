import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

interface Finding {
  kind: string;
  subject: { type: string; id: string; email: string | null; name: string };
  detail: string;
  facts: Record<string, unknown>;
}

const DAY = 86_400_000;

/** GET /api/v1/access-review: what in a tenant deserves a second look. */
describe.each(engines)('access review on %s', (engine) => {
  let test: TestServer;
  const acme = () => test.admin.inTenant('acme');
  const people: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let orphanId: string;

  const review = async (query = '', client = acme()) => {
    const response = await client.get(`/api/v1/access-review${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { tenant: { slug: string }; stale: string; counts: Record<string, number>; findings: Finding[]; truncated: boolean };
  };
  const kindsOf = (findings: Finding[], subjectId: string) => findings.filter((finding) => finding.subject.id === subjectId).map((finding) => finding.kind).sort();

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
    expect((await acme().post('/api/v1/roles', { name: 'nobody-holds-this', permissions: ['ViewUsers'] })).status).toBe(201);

    const idle = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    people.idle = idle.id;
    const never = await acme().post('/api/v1/users', { email: uniqueEmail('never'), displayName: 'Never Nina', role: 'Viewer', password: 'initial password 123' });
    people.never = never.body.user.id;
    people.admin = (await createSignedInUser(test, { role: 'Admin', tenant: 'acme' })).id;
    const suspended = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    people.suspended = suspended.id;
    expect((await acme().post(`/api/v1/users/${suspended.id}/suspend`)).status).toBe(200);

    const unused = await idle.client.post('/api/v1/me/tokens', { name: 'never used', expiresIn: '365d' });
    tokens.neverUsed = unused.body.token.id;
    const used = await idle.client.post('/api/v1/me/tokens', { name: 'used once', expiresIn: '365d' });
    tokens.used = used.body.token.id;
    expect((await test.anonymous.inTenant('acme').request('GET', '/api/v1/me', undefined, { authorization: `Bearer ${used.body.secret}` })).status).toBe(200);
    const forever = await idle.client.post('/api/v1/me/tokens', { name: 'legacy', expiresIn: '365d' });
    tokens.forever = forever.body.token.id;
    // Tokens made today always expire; one from before expiry was required has none.
    await test.server.database.db.updateTable('api_tokens').set({ expires_at: null }).where('id', '=', tokens.forever!).execute();

    expect((await acme().post('/api/v1/roles', { name: 'agent-maker', permissions: ['ManageAgents'] })).status).toBe(201);
    const leaver = await createSignedInUser(test, { role: 'agent-maker', tenant: 'acme' });
    const agent = await leaver.client.post('/api/v1/agents', { name: 'left behind' });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    orphanId = agent.body.id;
    expect((await acme().delete(`/api/v1/users/${leaver.id}`)).status).toBe(200);

    test.clock.advance(100 * DAY);
    people.fresh = (await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' })).id;
  });
  afterAll(() => test.close());

  it('finds stale and never signed-in users, suspended Admins and Admins without 2FA', async () => {
    const { findings, stale, tenant } = await review('?stale=90d');
    expect({ stale, tenant: tenant.slug }).toEqual({ stale: '90d', tenant: 'acme' });
    expect(kindsOf(findings, people.idle!)).toEqual(['user_not_signed_in']);
    expect(kindsOf(findings, people.never!)).toEqual(['user_never_signed_in']);
    expect(kindsOf(findings, people.admin!)).toEqual(['admin_without_two_factor', 'user_not_signed_in']);
    expect(kindsOf(findings, people.suspended!)).toEqual(['suspended_admin']);
    expect(kindsOf(findings, people.fresh!)).toEqual([]);
    const never = findings.find((finding) => finding.kind === 'user_never_signed_in')!;
    expect(never.subject).toMatchObject({ type: 'user', name: 'Never Nina' });
    expect(never.detail).toContain('90 days');
  });

  it('finds tokens never used, unused for the period, and without expiry', async () => {
    const { findings } = await review('?stale=90d');
    expect(kindsOf(findings, tokens.neverUsed!)).toEqual(['token_never_used']);
    expect(kindsOf(findings, tokens.used!)).toEqual(['token_unused']);
    expect(kindsOf(findings, tokens.forever!)).toEqual(['token_never_used', 'token_without_expiry']);
    expect(findings.find((finding) => finding.subject.id === tokens.used)!.subject.name).toContain('used once');
  });

  it('finds custom roles nobody holds and orphaned data older than the period', async () => {
    const report = await review('?stale=90d');
    expect(report.findings.filter((finding) => finding.kind === 'role_without_holders').map((finding) => finding.subject.name)).toEqual(['agent-maker', 'nobody-holds-this']);
    expect(kindsOf(report.findings, orphanId)).toEqual(['orphaned_resource']);
    // agent-maker's one holder was deleted.
    expect(report.counts).toMatchObject({ role_without_holders: 2, orphaned_resource: 1, suspended_admin: 1 });
    // A longer period leaves out what is younger than it.
    const longer = await review('?stale=200d');
    expect(kindsOf(longer.findings, people.idle!)).toEqual([]);
    expect(kindsOf(longer.findings, orphanId)).toEqual([]);
    expect(kindsOf(longer.findings, tokens.forever!)).toEqual(['token_without_expiry']);
  });

  it('is open to an auditor (Viewer: ViewAuditLogs and ViewUsers) and refuses a caller without ViewAuditLogs, naming it', async () => {
    const auditor = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    expect((await review('', auditor.client)).tenant.slug).toBe('acme');
    const operator = await createSignedInUser(test, { role: 'Operator', tenant: 'acme' });
    const refused = await operator.client.get('/api/v1/access-review');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewAuditLogs', tenant: 'acme' });
    expect((await acme().post('/api/v1/roles', { name: 'trail-reader', permissions: ['ViewAuditLogs'] })).status).toBe(201);
    const reader = await createSignedInUser(test, { role: 'trail-reader', tenant: 'acme' });
    const noUsers = await reader.client.get('/api/v1/access-review');
    expect(noUsers.status).toBe(403);
    expect(noUsers.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewUsers' });
  });

  it('reviews another tenant only for installation admins; to others it is not found', async () => {
    const globex = await review('?tenant=globex', test.admin);
    expect(globex.tenant.slug).toBe('globex');
    expect(globex.findings.some((finding) => finding.subject.id === people.idle)).toBe(false);
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    const refused = await acmeAdmin.client.get('/api/v1/access-review?tenant=globex');
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('TENANT_NOT_FOUND');
    const unknown = await test.admin.get('/api/v1/access-review?tenant=no-such-tenant');
    expect(unknown.status).toBe(404);
  });

  it('refuses a stale period that is not a duration, naming the field', async () => {
    const response = await acme().get('/api/v1/access-review?stale=soon');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('DURATION_INVALID');
    expect(response.body.error.message).toContain('stale');
  });

  it('reads a constant number of statements, however many findings', async () => {
    const count = async () => {
      let sent: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) sent = await statementsOf(test, () => review('?stale=90d'));
      return sent.length;
    };
    const before = await count();
    for (let index = 0; index < 5; index++) await acme().post('/api/v1/users', { email: uniqueEmail('idle'), displayName: 'More', role: 'Viewer', password: 'initial password 123' });
    test.clock.advance(100 * DAY);
    expect(await count()).toBe(before);
  });
});

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

interface Decision {
  findingKind: string;
  subject: { type: string; id: string };
  decision: string;
  outcome: string;
  error: { code: string; message: string } | null;
}

const MINUTE = 60_000;

/** POST/GET /api/v1/access-reviews: a review kept as a record, its decisions carried out through the ordinary commands. */
describe.each(engines)('access review records on %s', (engine) => {
  let test: TestServer;
  const acme = () => test.admin.inTenant('acme');
  const decisionOn = (decisions: Decision[], kind: string, subjectId: string) => decisions.find((entry) => entry.findingKind === kind && entry.subject.id === subjectId);

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
  });
  afterAll(() => test.close());

  it('suspends a user from the report, which ends their sessions, and keeps the rest, all on record and audited', async () => {
    const idle = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const other = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    test.clock.advance(2 * MINUTE);
    expect((await idle.client.get('/api/v1/me')).status).toBe(200);

    const recorded = await acme().post('/api/v1/access-reviews', { stale: '1m', note: 'Q4 review', decisions: [{ kind: 'user_not_signed_in', subjectId: idle.id, decision: 'suspend' }] });
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    expect(recorded.body.review).toMatchObject({ tenant: 'acme', reviewerEmail: 'admin@sophon.local', stale: '1m', note: 'Q4 review', completedAt: expect.any(String) });
    expect(decisionOn(recorded.body.decisions, 'user_not_signed_in', idle.id)).toMatchObject({ decision: 'suspend', outcome: 'applied', error: null });
    expect(decisionOn(recorded.body.decisions, 'user_not_signed_in', other.id)).toMatchObject({ decision: 'keep', outcome: 'kept' });

    // Through the ordinary command: suspended, their session ended, its own audit event written.
    expect((await acme().get(`/api/v1/users/${idle.id}`)).body.status).toBe('suspended');
    expect((await idle.client.get('/api/v1/me')).status).toBe(401);
    const trail = (await acme().get('/api/v1/audit?category=rbac')).body.items as { action: string; subjectId: string; detail: Record<string, number> }[];
    expect(trail.find((event) => event.action === 'access_review.recorded' && event.subjectId === recorded.body.review.id)?.detail).toMatchObject({ applied: 1, refused: 0 });
    const users = (await acme().get(`/api/v1/audit?user=${idle.id}&category=users`)).body.items as { action: string }[];
    expect(users.map((event) => event.action)).toContain('user.suspended');
  });

  it('revokes a token and deletes a role nobody holds, through the ordinary commands', async () => {
    const owner = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const token = await owner.client.post('/api/v1/me/tokens', { name: 'forgotten', expiresIn: '30d' });
    expect((await acme().post('/api/v1/roles', { name: 'leftover', permissions: ['ViewUsers'] })).status).toBe(201);
    test.clock.advance(2 * MINUTE);
    const role = (await acme().get('/api/v1/roles')).body.items.find((entry: { name: string }) => entry.name === 'leftover');

    const recorded = await acme().post('/api/v1/access-reviews', {
      stale: '1m',
      decisions: [
        { kind: 'token_never_used', subjectId: token.body.token.id, decision: 'revoke_token' },
        { kind: 'role_without_holders', subjectId: role.id, decision: 'remove_role' },
      ],
    });
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    expect(decisionOn(recorded.body.decisions, 'token_never_used', token.body.token.id)).toMatchObject({ outcome: 'applied' });
    expect(decisionOn(recorded.body.decisions, 'role_without_holders', role.id)).toMatchObject({ outcome: 'applied' });
    expect((await test.anonymous.request('GET', '/api/v1/me', undefined, { authorization: `Bearer ${token.body.secret}` })).status).toBe(401);
    expect((await acme().get(`/api/v1/roles/${role.id}`)).status).toBe(404);
  });

  it('records what the guarded commands refuse, with their code, and still applies the rest', async () => {
    // An auditor may record a review, not suspend anyone: the command refuses, the record says so.
    const auditor = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const someone = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const guest = await createSignedInUser(test, { role: 'Viewer', tenant: 'globex' });
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${guest.id}`, { role: 'Viewer' })).status).toBe(200);
    test.clock.advance(2 * MINUTE);
    const byAuditor = await auditor.client.post('/api/v1/access-reviews', { stale: '1m', decisions: [{ kind: 'user_not_signed_in', subjectId: someone.id, decision: 'suspend' }] });
    expect(byAuditor.status, JSON.stringify(byAuditor.body)).toBe(201);
    expect(decisionOn(byAuditor.body.decisions, 'user_not_signed_in', someone.id)).toMatchObject({ outcome: 'refused', error: { code: 'PERMISSION_MISSING' } });
    expect((await acme().get(`/api/v1/users/${someone.id}`)).body.status).toBe('active');

    // Removing a user from their home tenant is refused by the command; from another, it applies.
    const mixed = await acme().post('/api/v1/access-reviews', {
      stale: '1m',
      decisions: [
        { kind: 'user_not_signed_in', subjectId: someone.id, decision: 'remove_role' },
        { kind: 'user_not_signed_in', subjectId: guest.id, decision: 'remove_role' },
      ],
    });
    expect(decisionOn(mixed.body.decisions, 'user_not_signed_in', someone.id)).toMatchObject({ outcome: 'refused', error: { code: 'HOME_TENANT_MEMBERSHIP' } });
    expect(decisionOn(mixed.body.decisions, 'user_not_signed_in', guest.id)).toMatchObject({ outcome: 'applied' });
    expect((await acme().get(`/api/v1/users/${guest.id}`)).status).toBe(404);
  });

  it('refuses a decision on something the report does not find, or one that does not fit, and records nothing', async () => {
    const before = (await acme().get('/api/v1/access-reviews')).body.items.length;
    const person = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const notFound = await acme().post('/api/v1/access-reviews', { stale: '90d', decisions: [{ kind: 'user_not_signed_in', subjectId: person.id, decision: 'suspend' }] });
    expect(notFound.status).toBe(400);
    expect(notFound.body.error).toMatchObject({ code: 'FINDING_NOT_IN_REVIEW', field: 'decisions.0' });
    test.clock.advance(2 * MINUTE);
    const misfit = await acme().post('/api/v1/access-reviews', { stale: '1m', decisions: [{ kind: 'user_not_signed_in', subjectId: person.id, decision: 'revoke_token' }] });
    expect(misfit.status).toBe(400);
    expect(misfit.body.error.code).toBe('DECISION_NOT_APPLICABLE');
    const unknown = await acme().post('/api/v1/access-reviews', { decisions: [{ kind: 'x', subjectId: 'y', decision: 'shred' }] });
    expect(unknown.status).toBe(400);
    expect((await acme().get('/api/v1/access-reviews')).body.items.length).toBe(before);
  });

  it('lists past reviews with their counts, shows one, and hides another tenant’s', async () => {
    const list = await acme().get('/api/v1/access-reviews');
    expect(list.status).toBe(200);
    const [newest] = list.body.items;
    expect(newest).toMatchObject({ reviewerEmail: 'admin@sophon.local', completedAt: expect.any(String), findings: expect.any(Number), applied: 1, refused: 1 });
    const shown = await acme().get(`/api/v1/access-reviews/${newest.id}`);
    expect(shown.body.review.id).toBe(newest.id);
    expect(shown.body.decisions).toHaveLength(newest.findings);
    const elsewhere = await test.admin.inTenant('globex').get(`/api/v1/access-reviews/${newest.id}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('ACCESS_REVIEW_NOT_FOUND');
    expect((await test.admin.inTenant('globex').get('/api/v1/access-reviews')).body.items).toEqual([]);
  });

  it('exports every decision as CSV for auditors (ExportAuditLogs), and audits the export', async () => {
    const response = await acme().request('GET', '/api/v1/access-reviews/export');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const rows = parse(response.body as string, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['review_id', 'tenant', 'reviewed_at', 'completed_at', 'reviewer', 'stale', 'finding', 'subject_type', 'subject_id', 'subject_email', 'subject_name', 'detail', 'decision', 'outcome', 'error_code', 'error_message']);
    expect(rows).toContainEqual(expect.objectContaining({ decision: 'suspend', outcome: 'applied', tenant: 'acme' }));
    expect(rows).toContainEqual(expect.objectContaining({ decision: 'remove_role', outcome: 'refused', error_code: 'HOME_TENANT_MEMBERSHIP' }));
    const trail = (await acme().get('/api/v1/audit?category=rbac')).body.items as { action: string }[];
    expect(trail.map((event) => event.action)).toContain('access_review.exported');

    const viewer = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const refused = await viewer.client.get('/api/v1/access-reviews/export');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ExportAuditLogs' });
  });

  it('holds decisions to the escalation guards: not over someone more privileged, never the last Admin of default', async () => {
    expect((await acme().post('/api/v1/roles', { name: 'user-manager', permissions: ['ManageUsers', 'ViewUsers', 'ViewAuditLogs'] })).status).toBe(201);
    const manager = await createSignedInUser(test, { role: 'user-manager', tenant: 'acme' });
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    const byManager = await manager.client.post('/api/v1/access-reviews', { decisions: [{ kind: 'admin_without_two_factor', subjectId: acmeAdmin.id, decision: 'suspend' }] });
    expect(byManager.status, JSON.stringify(byManager.body)).toBe(201);
    expect(decisionOn(byManager.body.decisions, 'admin_without_two_factor', acmeAdmin.id)).toMatchObject({ outcome: 'refused', error: { code: 'TARGET_MORE_PRIVILEGED' } });
    expect((await acme().get(`/api/v1/users/${acmeAdmin.id}`)).body.status).toBe('active');

    // Everything the bootstrap Admin holds, without the Admin role: may act on them, but not suspend the last Admin of default.
    const { allPermissions } = await import('../src/domain/permissions.ts');
    expect((await test.admin.post('/api/v1/roles', { name: 'all-but-admin', scope: 'global', permissions: [...allPermissions] })).status).toBe(201);
    const deputy = await createSignedInUser(test, { role: 'all-but-admin' });
    // …in every tenant the bootstrap Admin belongs to, or the more-privileged rule refuses first.
    for (const tenant of ['acme', 'globex']) expect((await test.admin.put(`/api/v1/tenants/${tenant}/members/${deputy.id}`, { role: 'all-but-admin' })).status).toBe(200);
    const bootstrap = (await test.admin.get('/api/v1/me')).body.user.id as string;
    const byDeputy = await deputy.client.post('/api/v1/access-reviews', { decisions: [{ kind: 'admin_without_two_factor', subjectId: bootstrap, decision: 'suspend' }] });
    expect(byDeputy.status, JSON.stringify(byDeputy.body)).toBe(201);
    expect(decisionOn(byDeputy.body.decisions, 'admin_without_two_factor', bootstrap)).toMatchObject({ outcome: 'refused', error: { code: 'LAST_ADMIN' } });
    expect((await test.admin.get('/api/v1/me')).status).toBe(200);
  });
});

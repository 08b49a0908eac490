import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';
import { MailSink } from './support/mail-sink.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Client = TestServer['admin'];

/**
 * Time-bound roles and access requests (issue 9, part 2) over the real server, on both engines,
 * with the test's clock: a member asks for a role for a while, another admin approves, the role
 * grants until its end and the permanent one applies again at the first request after it.
 * acme's maximum is 4 hours (the installation's 8).
 */
describe.each(engines)('access requests and time-bound roles on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  const acme = () => test.admin.inTenant('acme');
  let roleMaker: string;
  let dana: { id: string; email: string; client: Client };
  let approver: { id: string; email: string; client: Client };
  let weakApprover: { id: string; email: string; client: Client };

  const ask = (client: Client, body: Record<string, unknown>) => client.post('/api/v1/me/access-requests', body);
  const makeRole = (client: Client) => client.post('/api/v1/roles', { name: `made-${Math.random().toString(36).slice(2, 10)}`, permissions: ['ViewUsers'] });

  beforeAll(async () => {
    await sink.start();
    test = await startTestServer(engine, {
      environment: { ...sink.environment(), Sophon__Rbac__MaxElevation: '08:00:00', Sophon__Rbac__Tenants__acme__MaxElevation: '04:00:00' },
    });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
    const role = await acme().post('/api/v1/roles', { name: 'role-maker', permissions: ['ManageRoles', 'ViewUsers'] });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    roleMaker = role.body.id;
    expect((await acme().post('/api/v1/roles', { name: 'assigner', permissions: ['AssignRoles', 'ViewUsers'] })).status).toBe(201);
    dana = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Dana' });
    approver = await createSignedInUser(test, { role: 'Admin', tenant: 'acme', displayName: 'Approver' });
    weakApprover = await createSignedInUser(test, { role: 'assigner', tenant: 'acme', displayName: 'Weak approver' });
  });
  afterAll(async () => {
    await test?.close();
    await sink.stop();
  });

  it('an approved request grants the role until its end; at the first request after it the previous role applies again, all in the rbac trail', async () => {
    // As a Viewer, Dana can't make roles.
    expect((await makeRole(dana.client)).status).toBe(403);
    const asked = await ask(dana.client, { role: 'role-maker', duration: '2h', reason: 'rotate the workflow roles' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending', role: { id: roleMaker, name: 'role-maker' }, tenant: { slug: 'acme' }, user: { id: dana.id }, durationSeconds: 7200, duration: '2 hours' });
    // The approver is mailed (SMTP is configured); the weak approver, who lacks ManageRoles, is not.
    const queued = await test.server.database.db.selectFrom('mail_outbox').select('recipient').where('kind', '=', 'access_request').where('body_text', 'like', `%${asked.body.id}%`).execute();
    const recipients = queued.map((row) => row.recipient);
    expect(recipients).toContain(approver.email);
    expect(recipients).not.toContain(weakApprover.email);
    expect(recipients).not.toContain(dana.email);
    const mail = await sink.waitFor(approver.email, 2);
    expect(mail.raw).toContain(asked.body.id);

    const listed = await approver.client.get('/api/v1/access-requests?status=pending');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((item: { id: string }) => item.id === asked.body.id)).toMatchObject({ mayApprove: true, refusal: null });

    const approved = await approver.client.post(`/api/v1/access-requests/${asked.body.id}/approve`, { reason: 'ok for today' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: { id: approver.id }, decisionReason: 'ok for today' });
    const endsAt: string = approved.body.endsAt;
    expect(Date.parse(endsAt) - test.clock.now().getTime()).toBe(2 * HOUR);

    // Dana can act now; the role replaced Viewer while it lasts (role-maker has no ViewAuditLogs).
    expect((await makeRole(dana.client)).status).toBe(201);
    expect((await dana.client.get('/api/v1/audit')).status).toBe(403);
    const shown = await acme().get(`/api/v1/users/${dana.id}`);
    expect(shown.body).toMatchObject({ role: 'role-maker', roleEndsAt: endsAt, thenRole: 'Viewer' });
    const listed2 = await acme().get('/api/v1/users?limit=200');
    expect(listed2.body.items.find((item: { id: string }) => item.id === dana.id)).toMatchObject({ role: 'role-maker' });
    const explained = await acme().get(`/api/v1/users/${dana.id}/explain?permission=ManageRoles`);
    expect(explained.body.permissions[0]).toMatchObject({ granted: true, timeBound: true, grantedBy: { role: { name: 'role-maker' }, endsAt, thenRole: { name: 'Viewer' } } });
    const review = await acme().get('/api/v1/access-review');
    expect(review.body.findings.find((finding: { kind: string; subject: { id: string } }) => finding.kind === 'assignment_ending_soon' && finding.subject.id === dana.id)).toBeDefined();
    const permissions = await acme().get(`/api/v1/users/${dana.id}/effective-permissions`);
    expect(permissions.body.tenants.find((entry: { tenantSlug: string }) => entry.tenantSlug === 'acme')).toMatchObject({ roleName: 'role-maker', endsAt, thenRole: { name: 'Viewer' } });

    // One millisecond before the end it still grants; at the end it doesn't, and Viewer is back.
    test.clock.advance(2 * HOUR - 1);
    expect((await makeRole(dana.client)).status).toBe(201);
    test.clock.advance(1);
    const refused = await makeRole(dana.client);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code ?? refused.body.code).toBe('PERMISSION_MISSING');
    expect((await dana.client.get('/api/v1/audit')).status).toBe(200);
    expect((await acme().get(`/api/v1/users/${dana.id}`)).body).toMatchObject({ role: 'Viewer', roleEndsAt: null, thenRole: null });
    expect((await acme().get('/api/v1/users?limit=200')).body.items.find((item: { id: string }) => item.id === dana.id)).toMatchObject({ role: 'Viewer' });
    expect((await acme().get(`/api/v1/users/${dana.id}/explain?permission=ManageRoles`)).body.permissions[0]).toMatchObject({ granted: false, timeBound: false });

    const trail = await acme().get('/api/v1/audit?category=rbac&limit=50');
    expect(trail.status).toBe(200);
    const actions = trail.body.items.filter((event: { subjectId: string }) => event.subjectId === asked.body.id || event.subjectId === dana.id).map((event: { action: string }) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['access_request.created', 'role.assigned', 'access_request.approved']));
    // A decided request can't be decided again.
    expect((await approver.client.post(`/api/v1/access-requests/${asked.body.id}/deny`, { reason: 'late' })).body.error?.code).toBe('ACCESS_REQUEST_DECIDED');
  });

  it('refuses a self-approval', async () => {
    const other = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    const asked = await ask(other.client, { role: 'role-maker', duration: '1h', reason: 'mine' });
    expect(asked.status).toBe(201);
    const own = await other.client.post(`/api/v1/access-requests/${asked.body.id}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('ACCESS_REQUEST_OWN');
    expect((await other.client.post(`/api/v1/access-requests/${asked.body.id}/deny`, { reason: 'x' })).body.error.code).toBe('ACCESS_REQUEST_OWN');
    const listed = await other.client.get('/api/v1/access-requests');
    expect(listed.body.items.find((item: { id: string }) => item.id === asked.body.id)).toMatchObject({ mayApprove: false, refusal: 'ACCESS_REQUEST_OWN' });
  });

  it("refuses an approval beyond the tenant's maximum, and a request beyond it at once", async () => {
    const tooLong = await ask(dana.client, { role: 'role-maker', duration: '5h', reason: 'a long day' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'ELEVATION_TOO_LONG' });
    expect(tooLong.body.error.message).toContain('4 hours');
    const asked = await ask(dana.client, { role: 'role-maker', duration: '3h', reason: 'a short day' });
    expect(asked.status).toBe(201);
    const beyond = await approver.client.post(`/api/v1/access-requests/${asked.body.id}/approve`, { duration: '5h' });
    expect(beyond.status).toBe(400);
    expect(beyond.body.error.code).toBe('ELEVATION_TOO_LONG');
    // Nothing was granted; the request is still pending and can be approved within the maximum.
    expect((await makeRole(dana.client)).status).toBe(403);
    expect((await approver.client.get(`/api/v1/access-requests/${asked.body.id}`)).body.status).toBe('pending');
    const denied = await approver.client.post(`/api/v1/access-requests/${asked.body.id}/deny`, { reason: 'not today' });
    expect(denied.body).toMatchObject({ status: 'denied', decisionReason: 'not today', endsAt: null });
    const mine = await dana.client.get('/api/v1/me/access-requests');
    expect(mine.body.items.find((item: { id: string }) => item.id === asked.body.id)).toMatchObject({ status: 'denied', decisionReason: 'not today' });
  });

  it("refuses an approver who lacks the role's permissions (escalation)", async () => {
    const asked = await ask(dana.client, { role: 'role-maker', duration: '1h', reason: 'escalate me' });
    expect(asked.status).toBe(201);
    const listed = await weakApprover.client.get('/api/v1/access-requests?status=pending');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((item: { id: string }) => item.id === asked.body.id)).toMatchObject({ mayApprove: false, refusal: 'PRIVILEGE_ESCALATION' });
    const refused = await weakApprover.client.post(`/api/v1/access-requests/${asked.body.id}/approve`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('PRIVILEGE_ESCALATION');
    expect((await makeRole(dana.client)).status).toBe(403);
    // Without AssignRoles at all, the route refuses first.
    expect((await dana.client.get('/api/v1/access-requests')).status).toBe(403);
  });

  it("answers 404 for another tenant's request", async () => {
    const asked = await ask(dana.client, { role: 'role-maker', duration: '1h', reason: 'acme only' });
    expect(asked.status).toBe(201);
    const elsewhere = test.admin.inTenant('globex');
    for (const response of [
      await elsewhere.post(`/api/v1/access-requests/${asked.body.id}/approve`),
      await elsewhere.post(`/api/v1/access-requests/${asked.body.id}/deny`, { reason: 'x' }),
      await elsewhere.get(`/api/v1/access-requests/${asked.body.id}`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('ACCESS_REQUEST_NOT_FOUND');
    }
    expect((await elsewhere.get('/api/v1/access-requests')).body.items.some((item: { id: string }) => item.id === asked.body.id)).toBe(false);
    // Nor may anyone ask for a role in a tenant they don't belong to.
    const outside = await ask(dana.client, { role: 'Viewer', tenant: 'globex', duration: '1h', reason: 'peek' });
    expect(outside.status).toBe(404);
    expect(outside.body.error.code).toBe('TENANT_NOT_FOUND');
  });

  it('sets a time-bound role directly (until or duration), only over a membership, only in the future', async () => {
    const member = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const until = new Date(test.clock.now().getTime() + 30 * MINUTE).toISOString();
    const set = await acme().put(`/api/v1/users/${member.id}/role`, { role: 'role-maker', until: until.replace(/:\d{2}\.\d{3}Z$/, 'Z') });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ role: 'role-maker', thenRole: 'Viewer' });
    expect((await makeRole(member.client)).status).toBe(201);
    // A permanent set ends the elevation at once.
    expect((await acme().put(`/api/v1/users/${member.id}/role`, { role: 'Viewer' })).body).toMatchObject({ role: 'Viewer', roleEndsAt: null });
    expect((await makeRole(member.client)).status).toBe(403);
    expect((await acme().put(`/api/v1/users/${member.id}/role`, { role: 'role-maker', until: '2020-01-01T00:00Z' })).body.error.code).toBe('ASSIGNMENT_END_INVALID');
    expect((await acme().put(`/api/v1/users/${member.id}/role`, { role: 'role-maker', until: '2030-01-01T00:00' })).body.error.code).toBe('ASSIGNMENT_END_INVALID');
    expect((await acme().put(`/api/v1/users/${member.id}/role`, { role: 'role-maker', until: until, duration: '1h' })).body.error.code).toBe('ASSIGNMENT_END_INVALID');
    // Someone of another tenant, not a member of acme: a time-bound role needs the membership first.
    const stranger = await createSignedInUser(test, { role: 'Viewer' });
    const outside = await acme().put(`/api/v1/users/${stranger.id}/role`, { role: 'Viewer', duration: '1h' });
    expect(outside.status).toBe(409);
    expect(outside.body.error.code).toBe('ELEVATION_NEEDS_MEMBERSHIP');
  });

  it("gives a time-bound role through the installation's member route too, only over a membership", async () => {
    const member = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const set = await test.admin.put(`/api/v1/tenants/acme/members/${member.id}`, { role: 'role-maker', duration: '30m' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(Date.parse(set.body.endsAt) - test.clock.now().getTime()).toBe(30 * MINUTE);
    expect((await acme().get(`/api/v1/users/${member.id}`)).body).toMatchObject({ role: 'role-maker', thenRole: 'Viewer' });
    const members = await test.admin.get('/api/v1/tenants/acme/members?limit=500');
    expect(members.body.items.find((item: { userId: string }) => item.userId === member.id)).toMatchObject({ role: { name: 'role-maker' }, endsAt: set.body.endsAt, thenRole: { name: 'Viewer' } });
    const stranger = await createSignedInUser(test, { role: 'Viewer' });
    const outside = await test.admin.put(`/api/v1/tenants/acme/members/${stranger.id}`, { role: 'Viewer', until: '2099-01-01T00:00Z' });
    expect(outside.status).toBe(409);
    expect(outside.body.error.code).toBe('ELEVATION_NEEDS_MEMBERSHIP');
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${member.id}`, { role: 'Viewer' })).body).toMatchObject({ role: 'Viewer', endsAt: null });
    expect((await acme().get(`/api/v1/users/${member.id}`)).body).toMatchObject({ role: 'Viewer', roleEndsAt: null });
  });

  it('keeps the last-Admin guard: a time-bound Admin never counts as the remaining Admin', async () => {
    const temporary = await createSignedInUser(test, { role: 'Viewer' });
    expect((await test.admin.put(`/api/v1/users/${temporary.id}/role`, { role: 'Admin', duration: '1h' })).status).toBe(200);
    const adminId: string = (await test.admin.get('/api/v1/me')).body.user.id;
    // The time-bound Admin may act as Admin, but not leave the installation to themselves.
    const demoted = await temporary.client.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' });
    expect(demoted.status).toBe(409);
    expect(demoted.body.error.code).toBe('LAST_ADMIN');
    // Nor may the last permanent Admin be given a time-bound other role: a demotion while it lasts.
    const temporarilyDemoted = await temporary.client.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer', duration: '1h' });
    expect(temporarilyDemoted.status).toBe(409);
    expect(temporarilyDemoted.body.error.code).toBe('LAST_ADMIN');
    // At the end of the hour, the temporary Admin is a Viewer again.
    test.clock.advance(HOUR);
    expect((await temporary.client.get('/api/v1/users')).status).toBe(200);
    expect((await temporary.client.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' })).status).toBe(403);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';

const HOUR = 60 * 60 * 1000;

/**
 * A time-bound role lends its permissions for acting, not for granting (the escalation guard,
 * src/domain/access/guards.ts): a Viewer made Admin for an hour can act as Admin, but can hand out
 * only what a Viewer holds, so nothing they grant outlives the hour. Found by the security review:
 * before, a one-hour Admin created a permanent Admin, set a member Admin for good, and made a role
 * with every permission.
 */
describe.each(engines)('what a time-bound Admin may grant, on %s', (engine) => {
  let test: TestServer;
  let elevated: Awaited<ReturnType<typeof createSignedInUser>>;
  let member: Awaited<ReturnType<typeof createSignedInUser>>;

  beforeAll(async () => {
    test = await startTestServer(engine);
    elevated = await createSignedInUser(test, { role: 'Viewer' });
    member = await createSignedInUser(test, { role: 'Viewer' });
    const lent = await test.admin.put(`/api/v1/users/${elevated.id}/role`, { role: 'Admin', duration: '1h' });
    expect(lent.status, JSON.stringify(lent.body)).toBe(200);
  });
  afterAll(() => test.close());

  it('acts as Admin while the role lasts', async () => {
    expect((await elevated.client.get('/api/v1/users')).status).toBe(200);
    expect((await elevated.client.patch(`/api/v1/users/${member.id}`, { displayName: 'Renamed by a time-bound Admin' })).status).toBe(200);
  });

  it('may not create a user with a role beyond its permanent one', async () => {
    const created = await elevated.client.post('/api/v1/users', { email: uniqueEmail('lasting'), displayName: 'Lasting admin', role: 'Admin', password: 'a long enough password' });
    expect(created.status, JSON.stringify(created.body)).toBe(403);
    expect(created.body.error.code).toBe('PRIVILEGE_ESCALATION');
  });

  it('may not give anyone a role beyond its permanent one, for good or for a while', async () => {
    for (const body of [{ role: 'Admin' }, { role: 'Operator' }, { role: 'Admin', duration: '30m' }]) {
      const set = await elevated.client.put(`/api/v1/users/${member.id}/role`, body);
      expect(set.status, JSON.stringify(set.body)).toBe(403);
      expect(set.body.error.code).toBe('PRIVILEGE_ESCALATION');
    }
    expect((await test.admin.get(`/api/v1/users/${member.id}`)).body.role).toBe('Viewer');
  });

  it('may not make a role with permissions beyond its permanent one', async () => {
    const role = await elevated.client.post('/api/v1/roles', { name: 'lasting-managers', permissions: ['ManageUsers'] });
    expect(role.status, JSON.stringify(role.body)).toBe(403);
    expect(role.body.error.code).toBe('PRIVILEGE_ESCALATION');
  });

  it("may not approve a request for more than its permanent role, and the list says so before it tries", async () => {
    const asked = await member.client.post('/api/v1/me/access-requests', { role: 'Operator', duration: '1h', reason: 'a release' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    const listed = await elevated.client.get('/api/v1/access-requests');
    expect(listed.status).toBe(200);
    // Counted on what it may hand out, where AssignRoles itself is only lent: not approvable.
    expect(listed.body.items.find((item: { id: string }) => item.id === asked.body.id)).toMatchObject({ mayApprove: false, refusal: 'PERMISSION_MISSING' });
    const approved = await elevated.client.post(`/api/v1/access-requests/${asked.body.id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(403);
    expect(approved.body.error.code).toBe('PRIVILEGE_ESCALATION');
  });

  it('and once the hour is over, holds nothing it did not hold before', async () => {
    test.clock.advance(HOUR);
    expect((await elevated.client.get('/api/v1/users')).status).toBe(200);
    expect((await elevated.client.patch(`/api/v1/users/${member.id}`, { displayName: 'Again' })).status).toBe(403);
    // A permanent Admin still grants as ever.
    expect((await test.admin.put(`/api/v1/users/${member.id}/role`, { role: 'Operator' })).status).toBe(200);
  });
});

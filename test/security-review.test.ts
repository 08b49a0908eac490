import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Findings of the security review of the time-bound roles (issue 9, part 2), over the real server
 * on both engines: each case failed on the code it was found in.
 */
describe.each(engines)('security review: time-bound roles on %s', (engine) => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a permanent Admin of default under a time-bound other role is no Admin to leave the installation to', async () => {
    const adminId: string = (await test.admin.get('/api/v1/me')).body.user.id;
    const second = await createSignedInUser(test, { role: 'Admin' });
    const temporary = await createSignedInUser(test, { role: 'Viewer' });
    expect((await test.admin.put(`/api/v1/users/${temporary.id}/role`, { role: 'Admin', duration: '1h' })).status).toBe(200);
    // Two permanent Admins: one of them may be given a time-bound Viewer (the other stays Admin).
    const overshadowed = await test.admin.put(`/api/v1/users/${second.id}/role`, { role: 'Viewer', duration: '30d' });
    expect(overshadowed.status, JSON.stringify(overshadowed.body)).toBe(200);
    expect((await test.admin.get(`/api/v1/users/${second.id}`)).body).toMatchObject({ role: 'Viewer', thenRole: 'Admin' });
    // Now the bootstrap Admin is the only Admin in force besides a time-bound one: taking Admin
    // from them in any way would leave the installation without an Admin for 30 days.
    for (const [what, response] of [
      ['demotion', await temporary.client.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer' })],
      ['time-bound demotion', await temporary.client.put(`/api/v1/users/${adminId}/role`, { role: 'Viewer', duration: '1h' })],
      ['suspension', await temporary.client.post(`/api/v1/users/${adminId}/suspend`)],
    ] as const) {
      expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(409);
      expect(response.body.error.code).toBe('LAST_ADMIN');
    }
    expect((await test.admin.get(`/api/v1/users/${adminId}`)).body).toMatchObject({ role: 'Admin', status: 'active' });
    // Once the second Admin's time-bound role has ended they count again.
    test.clock.advance(31 * DAY);
    expect((await test.admin.get(`/api/v1/users/${second.id}`)).body).toMatchObject({ role: 'Admin', roleEndsAt: null });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { enrol, signInWithSecondFactor } from './support/two-factor.ts';

/**
 * An admin sees how many 2FA recovery codes a user has left (issue 12: the user page's
 * Security tab), as a count in GET /users/:id/activity, never the codes; null without 2FA.
 */
describe.each(engines)("a user's recovery codes left, for an admin, on %s", (engine) => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it('is null before enrolment, 10 after, one less for each code used, and never shows a code', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const left = async () => {
      const answer = await test.admin.get(`/api/v1/users/${user.id}/activity`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body;
    };
    expect((await left()).recoveryCodesLeft).toBeNull();
    const { recoveryCodes } = await enrol(test, user.client, USER_PASSWORD);
    expect((await left()).recoveryCodesLeft).toBe(10);
    const signedIn = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { recoveryCode: recoveryCodes[0]! });
    expect(signedIn.second.status, JSON.stringify(signedIn.second.body)).toBe(200);
    const activity = await left();
    expect(activity.recoveryCodesLeft).toBe(9);
    for (const code of recoveryCodes) expect(JSON.stringify(activity)).not.toContain(code);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from './support/harness.ts';

/**
 * API tokens live up to five years, so whether a credential change also revokes them is never
 * implicit: a forced logout, an admin's password reset (and its link) and a password change
 * each keep them unless asked, and each says what it revoked in its audit event.
 */
describe.each(engines)('API tokens after a logout, a reset or a password change on %s', (engine) => {
  let test: TestServer;
  // Token names are unique per user (issue 12).
  let tokenCount = 0;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  async function userWithTokens(count: number) {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const tokens: ApiClient[] = [];
    for (let index = 0; index < count; index++) tokens.push(await newToken(user.client));
    return { ...user, tokens };
  }
  async function newToken(client: ApiClient): Promise<ApiClient> {
    const created = await client.post('/api/v1/me/tokens', { name: `integration ${++tokenCount}`, expiresIn: '1825d' });
    expect(created.status).toBe(201);
    return new ApiClient(test.url, { token: created.body.secret });
  }
  const statusOf = async (client: ApiClient) => (await client.get('/api/v1/me')).status;
  const lastEvent = async (userId: string, action: string) => {
    const events = (await test.admin.get(`/api/v1/audit?user=${userId}&limit=200`)).body.items as { action: string; detail: Record<string, unknown> }[];
    return events.find((event) => event.action === action);
  };
  const tokenOf = (link: string) => new URL(link).hash.replace(/^#token=/, '');

  it('a forced logout ends the sessions and keeps the tokens, unless revokeTokens', async () => {
    const user = await userWithTokens(2);
    const kept = await test.admin.post(`/api/v1/users/${user.id}/logout`);
    expect(kept.body).toMatchObject({ endedSessions: 1, revokedTokens: 0 });
    expect(await statusOf(user.client)).toBe(401);
    for (const token of user.tokens) expect(await statusOf(token)).toBe(200);
    expect((await lastEvent(user.id, 'user.logged_out'))?.detail).toMatchObject({ endedSessions: 1, revokeTokens: false, revokedTokens: 0 });

    const revoked = await test.admin.post(`/api/v1/users/${user.id}/logout`, { revokeTokens: true });
    expect(revoked.body).toMatchObject({ endedSessions: 0, revokedTokens: 2 });
    for (const token of user.tokens) expect((await token.get('/api/v1/me')).body.error.code).toBe('TOKEN_INVALID');
    expect((await lastEvent(user.id, 'user.logged_out'))?.detail).toMatchObject({ revokeTokens: true, revokedTokens: 2 });
  });

  it('a password change keeps the tokens unless revokeTokens, and then keeps only the token that made it', async () => {
    const user = await userWithTokens(2);
    const [caller, other] = user.tokens as [ApiClient, ApiClient];
    const plain = await user.client.post('/api/v1/auth/password', { currentPassword: USER_PASSWORD, newPassword: 'a second long password' });
    expect(plain.body).toMatchObject({ revokedTokens: 0 });
    expect(await statusOf(caller)).toBe(200);
    expect(await statusOf(other)).toBe(200);

    const throughToken = await caller.post('/api/v1/auth/password', {
      currentPassword: 'a second long password',
      newPassword: 'a third long password',
      endOtherSessions: false,
      revokeTokens: true,
    });
    expect(throughToken.body).toMatchObject({ revokedTokens: 1 });
    expect(await statusOf(caller)).toBe(200);
    expect(await statusOf(other)).toBe(401);
    expect((await lastEvent(user.id, 'password.changed'))?.detail).toMatchObject({ revokeTokens: true, revokedTokens: 1 });

    const throughSession = await user.client.post('/api/v1/auth/password', { currentPassword: 'a third long password', newPassword: 'a fourth long password', revokeTokens: true });
    expect(throughSession.body).toMatchObject({ revokedTokens: 1 });
    expect(await statusOf(caller)).toBe(401);
    expect(await statusOf(user.client)).toBe(200);
  });

  it('a reset link keeps the tokens when redeemed, unless the admin chose to revoke them', async () => {
    const user = await userWithTokens(1);
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    expect(reset.body.revokedTokens).toBeUndefined();
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token: tokenOf(reset.body.link), newPassword: 'chosen after a reset' })).status).toBe(200);
    expect(await statusOf(user.client)).toBe(401);
    expect(await statusOf(user.tokens[0]!)).toBe(200);
    expect((await lastEvent(user.id, 'password_reset.redeemed'))?.detail).toMatchObject({ revokeTokens: false, revokedTokens: 0 });
  });

  it('an admin reset with revokeTokens revokes them at once, and its link revokes those made before it is redeemed', async () => {
    const user = await userWithTokens(2);
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`, { revokeTokens: true });
    expect(reset.body).toMatchObject({ revokedTokens: 2 });
    for (const token of user.tokens) expect(await statusOf(token)).toBe(401);
    expect((await lastEvent(user.id, 'password_reset.requested'))?.detail).toMatchObject({ revokeTokens: true, revokedTokens: 2 });

    // The reset ends no session: whoever holds one can still make a token until the link is used.
    const madeMeanwhile = await newToken(user.client);
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token: tokenOf(reset.body.link), newPassword: 'chosen after a reset' })).status).toBe(200);
    expect(await statusOf(madeMeanwhile)).toBe(401);
    expect((await lastEvent(user.id, 'password_reset.redeemed'))?.detail).toMatchObject({ revokeTokens: true, revokedTokens: 1 });
  });
});

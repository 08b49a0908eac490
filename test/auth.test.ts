import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/domain/ids.ts';
import { ApiClient, login } from './support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from './support/harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The Set-Cookie line for a cookie, attributes included. */
const setCookie = (headers: Headers, name: string) => headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
const cookieValue = (line: string | undefined) => line?.split(';')[0]!.split('=')[1];

describe.each(engines)('sessions, cookies, CSRF and API tokens on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  describe('login', () => {
    it('sets an HttpOnly, SameSite session cookie and a readable CSRF cookie', async () => {
      const { response } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      expect(response.status).toBe(200);
      expect(response.body.mustChangePassword).toBe(false);
      const session = setCookie(response.headers, 'sophon_session')!;
      expect(session).toMatch(/; HttpOnly/i);
      expect(session).toMatch(/; SameSite=Strict/i);
      expect(session).toMatch(/; Path=\//i);
      const csrf = setCookie(response.headers, 'sophon_csrf')!;
      expect(csrf).not.toMatch(/HttpOnly/i);
      expect(cookieValue(csrf)).toBe(response.body.csrfToken);
      expect(response.body.user.passwordHash).toBeUndefined();
    });

    it('stores only a hash of the session cookie', async () => {
      const { response } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const value = decodeURIComponent(cookieValue(setCookie(response.headers, 'sophon_session'))!);
      const row = await test.server.database.db.selectFrom('sessions').selectAll().where('id', '=', response.body.session.id).executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashSecret(value));
      expect(JSON.stringify(row)).not.toContain(value);
      expect(JSON.stringify(row)).not.toContain(response.body.csrfToken);
    });

    it('rotates the session at login: the cookie a browser came in with stops working', async () => {
      const first = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const again = await fetch(`${test.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: first.client.credential.cookie! },
        body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      });
      expect(again.status).toBe(200);
      const rotated = setCookie(again.headers, 'sophon_session')!.split(';')[0]!;
      expect(rotated).not.toBe(first.client.credential.cookie);
      const old = await first.client.get('/api/v1/me');
      expect(old.status).toBe(401);
      expect(old.body.error.code).toBe('SESSION_INVALID');
      expect((await new ApiClient(test.url, { cookie: rotated }).get('/api/v1/me')).status).toBe(200);
    });

    it('answers a wrong password and an unknown email alike', async () => {
      const wrong = (await test.login(ADMIN_EMAIL, 'not the password')).response;
      const unknown = (await test.login('nobody@example.test', 'not the password')).response;
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.headers.getSetCookie()).toEqual([]);
    });

    it('finds the account whatever the case of the email', async () => {
      expect((await test.login(ADMIN_EMAIL.toUpperCase(), ADMIN_PASSWORD)).response.status).toBe(200);
    });
  });

  describe('a password that must be changed', () => {
    let email: string;
    let client: ApiClient;
    const initial = 'initial password 123';

    beforeAll(async () => {
      email = uniqueEmail('newcomer');
      expect((await test.admin.post('/api/v1/users', { email, displayName: 'Newcomer', role: 'Admin', password: initial })).status).toBe(201);
      const signedIn = await test.login(email, initial);
      expect(signedIn.response.body.mustChangePassword).toBe(true);
      client = signedIn.client;
    });

    it('refuses every other call with PASSWORD_CHANGE_REQUIRED', async () => {
      for (const attempt of [client.get('/api/v1/me'), client.get('/api/v1/users'), client.post('/api/v1/workflows', { name: 'x' }), client.post('/api/v1/me/tokens', { name: 'escape hatch' })]) {
        const response = await attempt;
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
        expect(response.body.error.message).toContain('/api/v1/auth/password');
      }
    });

    it('allows logout', async () => {
      const other = (await test.login(email, initial)).client;
      expect((await other.post('/api/v1/auth/logout')).status).toBe(204);
      expect((await other.get('/api/v1/me')).status).toBe(401);
    });

    it('lifts the gate once the password is changed', async () => {
      const changed = await client.post('/api/v1/auth/password', { currentPassword: initial, newPassword: 'my own new passphrase' });
      expect(changed.status).toBe(200);
      expect((await client.get('/api/v1/me')).status).toBe(200);
      expect((await test.login(email, initial)).response.status).toBe(401);
      expect((await test.login(email, 'my own new passphrase')).response.body.mustChangePassword).toBe(false);
    });
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated write without the X-CSRF-Token header', async () => {
      const { client } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const bare = new ApiClient(test.url, { cookie: client.credential.cookie });
      const refused = await bare.post('/api/v1/workflows', { name: 'forged' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('CSRF_TOKEN_INVALID');
      expect((await bare.get('/api/v1/workflows')).body.items.map((item: { name: string }) => item.name)).not.toContain('forged');
    });

    it('refuses a wrong CSRF token, and one from another session', async () => {
      const mine = (await test.login(ADMIN_EMAIL, ADMIN_PASSWORD)).client;
      const theirs = (await test.login(ADMIN_EMAIL, ADMIN_PASSWORD)).client;
      const wrong = new ApiClient(test.url, { cookie: mine.credential.cookie, csrf: 'guessed' });
      expect((await wrong.post('/api/v1/workflows', { name: 'forged' })).body.error.code).toBe('CSRF_TOKEN_INVALID');
      const crossed = new ApiClient(test.url, { cookie: mine.credential.cookie, csrf: theirs.credential.csrf });
      expect((await crossed.delete('/api/v1/workflows/whatever')).body.error.code).toBe('CSRF_TOKEN_INVALID');
    });

    it('refuses logout without the CSRF token, so a foreign page cannot sign you out', async () => {
      const { client } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      expect((await new ApiClient(test.url, { cookie: client.credential.cookie }).post('/api/v1/auth/logout')).status).toBe(403);
      expect((await client.get('/api/v1/me')).status).toBe(200);
    });

    it('accepts a write with the CSRF token, and reads without it', async () => {
      const { client } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      expect((await client.post('/api/v1/workflows', { name: 'legit' })).status).toBe(201);
      expect((await new ApiClient(test.url, { cookie: client.credential.cookie }).get('/api/v1/workflows')).status).toBe(200);
    });

    it('needs no CSRF token with a Bearer API token, which a browser never sends by itself', async () => {
      expect(test.admin.credential.csrf).toBeUndefined();
      expect((await test.admin.post('/api/v1/workflows', { name: 'from a script' })).status).toBe(201);
    });
  });

  describe('logout', () => {
    it('ends the session on the server and clears the cookie', async () => {
      const { client } = await test.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const out = await client.post('/api/v1/auth/logout');
      expect(out.status).toBe(204);
      expect(setCookie(out.headers, 'sophon_session')).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
      const after = await client.get('/api/v1/me');
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('SESSION_INVALID');
    });

    it('ends only that session', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const second = (await test.login(user.email, USER_PASSWORD)).client;
      expect((await second.post('/api/v1/auth/logout')).status).toBe(204);
      expect((await user.client.get('/api/v1/me')).status).toBe(200);
    });
  });

  describe('session timeouts', () => {
    it('ends a session idle for longer than 8 hours', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      test.clock.advance(8 * HOUR + 1000);
      const expired = await user.client.get('/api/v1/me');
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('SESSION_EXPIRED');
      expect((await user.client.get('/api/v1/me')).status).toBe(401);
    });

    it('keeps a session in use alive past 8 hours', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      for (let hours = 0; hours < 24; hours += 6) {
        test.clock.advance(6 * HOUR);
        expect((await user.client.get('/api/v1/me')).status).toBe(200);
      }
    });

    it('ends a session 7 days after login however busy it is', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      let elapsed = 0;
      while (elapsed + 6 * HOUR < 7 * DAY) {
        test.clock.advance(6 * HOUR);
        elapsed += 6 * HOUR;
        expect((await user.client.get('/api/v1/me')).status).toBe(200);
      }
      test.clock.advance(7 * DAY - elapsed);
      const expired = await user.client.get('/api/v1/me');
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('SESSION_EXPIRED');
    });
  });

  describe('API tokens', () => {
    it('shows the secret once and stores only its hash', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const created = await user.client.post('/api/v1/me/tokens', { name: 'ci-deploy', expiresIn: '365d' });
      expect(created.status).toBe(201);
      const secret: string = created.body.secret;
      expect(secret).toMatch(/^sph_[A-Za-z0-9_-]{40,}$/);
      expect(created.body.token.tokenHash).toBeUndefined();
      expect(Date.parse(created.body.token.expiresAt) - Date.parse(created.body.token.createdAt)).toBe(365 * DAY);

      const listed = await user.client.get('/api/v1/me/tokens');
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      expect(listed.body.items[0]).toMatchObject({ id: created.body.token.id, name: 'ci-deploy' });

      const { db } = test.server.database;
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', created.body.token.id).executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashSecret(secret));
      expect(JSON.stringify(row)).not.toContain(secret);
      const audit = await db.selectFrom('audit_events').selectAll().where('subject_id', '=', created.body.token.id).execute();
      expect(audit.length).toBeGreaterThan(0);
      expect(JSON.stringify(audit)).not.toContain(secret);
    });

    it('authenticates with Authorization: Bearer', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { secret } = (await user.client.post('/api/v1/me/tokens', { name: 'cli' })).body;
      const me = await new ApiClient(test.url, { token: secret }).get('/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { id: user.id }, via: 'token' });
    });

    it('refuses an unknown token and a malformed Authorization header', async () => {
      const unknown = await new ApiClient(test.url, { token: 'sph_made_up' }).get('/api/v1/me');
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe('TOKEN_INVALID');
      const malformed = await test.anonymous.request('GET', '/api/v1/me', undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' });
      expect(malformed.status).toBe(401);
      expect(malformed.body.error.code).toBe('AUTHORIZATION_HEADER_INVALID');
    });

    it('stops working the moment it is revoked', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { token, secret } = (await user.client.post('/api/v1/me/tokens', { name: 'short-lived' })).body;
      const byToken = new ApiClient(test.url, { token: secret });
      expect((await byToken.get('/api/v1/me')).status).toBe(200);
      expect((await user.client.delete(`/api/v1/me/tokens/${token.id}`)).status).toBe(204);
      const after = await byToken.get('/api/v1/me');
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('TOKEN_INVALID');
    });

    it("lets an admin revoke any user's token, immediately", async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { token, secret } = (await user.client.post('/api/v1/me/tokens', { name: 'leaked' })).body;
      const listed = await test.admin.get(`/api/v1/tokens?user=${user.id}`);
      expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(token.id);
      expect((await test.admin.delete(`/api/v1/tokens/${token.id}`)).status).toBe(204);
      expect((await new ApiClient(test.url, { token: secret }).get('/api/v1/me')).status).toBe(401);
    });

    it("doesn't let a user revoke someone else's token through /me", async () => {
      const owner = await createSignedInUser(test, { role: 'Viewer' });
      const other = await createSignedInUser(test, { role: 'Viewer' });
      const { token, secret } = (await owner.client.post('/api/v1/me/tokens', { name: 'mine' })).body;
      expect((await other.client.delete(`/api/v1/me/tokens/${token.id}`)).status).toBe(404);
      expect((await new ApiClient(test.url, { token: secret }).get('/api/v1/me')).status).toBe(200);
    });

    it('stops working once expired', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { secret } = (await user.client.post('/api/v1/me/tokens', { name: 'hourly', expiresIn: '1h' })).body;
      const byToken = new ApiClient(test.url, { token: secret });
      expect((await byToken.get('/api/v1/me')).status).toBe(200);
      test.clock.advance(HOUR);
      const expired = await byToken.get('/api/v1/me');
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('TOKEN_EXPIRED');
    });

    it('refuses lifetimes that are not durations or longer than five years', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const bad = await user.client.post('/api/v1/me/tokens', { name: 'x', expiresIn: 'forever' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('DURATION_INVALID');
      expect((await user.client.post('/api/v1/me/tokens', { name: 'x', expiresIn: '1826d' })).status).toBe(400);
      expect((await user.client.post('/api/v1/me/tokens', { name: '   ' })).body.error.code).toBe('TOKEN_NAME_INVALID');
    });

    it('rotates a token: the old secret stops, the new one works', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { token, secret } = (await user.client.post('/api/v1/me/tokens', { name: 'rotating', expiresIn: '30d' })).body;
      const rotated = await user.client.post(`/api/v1/me/tokens/${token.id}/rotate`);
      expect(rotated.status).toBe(201);
      expect(rotated.body.token.name).toBe('rotating');
      expect((await new ApiClient(test.url, { token: secret }).get('/api/v1/me')).status).toBe(401);
      expect((await new ApiClient(test.url, { token: rotated.body.secret }).get('/api/v1/me')).status).toBe(200);
    });
  });

  describe('a suspended user', () => {
    it("loses their session and token on the next request, and regains the token on re-activation", async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { secret } = (await user.client.post('/api/v1/me/tokens', { name: 'laptop' })).body;
      const byToken = new ApiClient(test.url, { token: secret });
      expect((await test.admin.post(`/api/v1/users/${user.id}/suspend`)).status).toBe(200);

      expect((await user.client.get('/api/v1/me')).status).toBe(401);
      const tokenRefused = await byToken.get('/api/v1/me');
      expect(tokenRefused.status).toBe(401);
      expect(tokenRefused.body.error.code).toBe('ACCOUNT_SUSPENDED');
      expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(401);

      expect((await test.admin.post(`/api/v1/users/${user.id}/reactivate`)).body.status).toBe('active');
      expect((await byToken.get('/api/v1/me')).status).toBe(200);
      expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(200);
    });

    it('cannot sign in, and is told the same as for a wrong password', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      await test.admin.post(`/api/v1/users/${user.id}/suspend`);
      const refused = (await login(test.url, user.email, USER_PASSWORD)).response;
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('INVALID_CREDENTIALS');
    });
  });

  describe('admin force logout', () => {
    it('ends every session of a user at once', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const second = (await test.login(user.email, USER_PASSWORD)).client;
      const out = await test.admin.post(`/api/v1/users/${user.id}/logout`);
      expect(out.body.endedSessions).toBe(2);
      expect((await user.client.get('/api/v1/me')).status).toBe(401);
      expect((await second.get('/api/v1/me')).status).toBe(401);
    });
  });

  describe('password change', () => {
    it('ends the other sessions and keeps the current one', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const other = (await test.login(user.email, USER_PASSWORD)).client;
      const changed = await user.client.post('/api/v1/auth/password', { currentPassword: USER_PASSWORD, newPassword: 'a different long passphrase' });
      expect(changed.body.endedSessions).toBe(1);
      expect((await user.client.get('/api/v1/me')).status).toBe(200);
      expect((await other.get('/api/v1/me')).status).toBe(401);
    });

    it('refuses a wrong current password', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const refused = await user.client.post('/api/v1/auth/password', { currentPassword: 'wrong', newPassword: 'a different long passphrase' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('CURRENT_PASSWORD_WRONG');
    });
  });
});

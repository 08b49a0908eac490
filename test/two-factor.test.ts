import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { Authenticator } from './support/authenticator.ts';
import { createSignedInUser, createTestDatabase, engines, startTestServer, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { cookiesOf, enrol, sessionClient, signInWithSecondFactor } from './support/two-factor.ts';

const STEP = 30_000;

describe.each(engines)('two-factor authentication on %s', (engine) => {
  let test: TestServer;
  const now = () => test.clock.now().getTime();
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  describe('enrolment', () => {
    it('gives a 160-bit secret as an otpauth URI and a QR code, and turns on only after a code and the password', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const started = await user.client.post('/api/v1/me/two-factor/enrollment');
      expect(started.status).toBe(201);
      expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Sophon:/);
      expect(started.body.qrCode.dataUrl).toMatch(/^data:image\/png;base64,/);
      expect(started.body.qrCode.svg).toMatch(/^<svg/);
      const app = Authenticator.scan(started.body.otpauthUri);
      expect(app.secret.length * 8).toBeGreaterThanOrEqual(160);
      expect(app.account).toBe(user.email);
      expect((await user.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: false, enrollmentPending: true });

      const wrongPassword = await user.client.post('/api/v1/me/two-factor/enrollment/confirm', { code: app.codeAt(now()), currentPassword: 'not my password' });
      expect(wrongPassword.body.error.code).toBe('CURRENT_PASSWORD_WRONG');
      const wrongCode = await user.client.post('/api/v1/me/two-factor/enrollment/confirm', { code: app.codeAt(now() + 5 * STEP), currentPassword: USER_PASSWORD });
      expect(wrongCode.body.error.code).toBe('TWO_FACTOR_CODE_MISMATCH');
      expect((await user.client.get('/api/v1/me/two-factor')).body.enabled).toBe(false);

      const confirmed = await user.client.post('/api/v1/me/two-factor/enrollment/confirm', { code: app.codeAt(now()), currentPassword: USER_PASSWORD });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.recoveryCodes).toHaveLength(10);
      expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
      expect((await user.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: true, recoveryCodesRemaining: 10 });
      // Shown once: nothing returns the secret or the codes again.
      expect(JSON.stringify((await user.client.get('/api/v1/me/two-factor')).body)).not.toContain(confirmed.body.recoveryCodes[0]);
      const again = await user.client.post('/api/v1/me/two-factor/enrollment');
      expect(again.body.error.code).toBe('TWO_FACTOR_ALREADY_ENABLED');
    });

    it('ends the other sessions when 2FA is turned on, keeping this one', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const other = (await test.login(user.email, USER_PASSWORD)).client;
      await enrol(test, user.client, USER_PASSWORD);
      expect((await other.get('/api/v1/me')).status).toBe(401);
      expect((await user.client.get('/api/v1/me')).status).toBe(200);
    });

    it('stores the secret encrypted', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { app } = await enrol(test, user.client, USER_PASSWORD);
      const record = await test.server.services.context.store.twoFactor.get(user.id);
      expect(record!.secretCiphertext).toMatch(/^v1\./);
      expect(record!.secretCiphertext).not.toContain(app.secret.toString('base64url'));
      expect(record!.secretCiphertext).not.toContain(Buffer.from(app.secret).toString('hex'));
    });
  });

  describe('signing in', () => {
    let user: { id: string; email: string; client: ApiClient };
    let app: Authenticator;
    let recoveryCodes: string[];
    beforeAll(async () => {
      user = await createSignedInUser(test, { role: 'Viewer' });
      ({ app, recoveryCodes } = await enrol(test, user.client, USER_PASSWORD));
      test.clock.advance(STEP);
    });

    it('asks for the second factor after the password, with no session in between', async () => {
      const first = await test.anonymous.post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ twoFactorRequired: true, challenge: expect.any(String), expiresAt: expect.any(String) });
      expect(cookiesOf(first).sophon_session).toBeUndefined();
      // The challenge opens nothing else, as a cookie or as a token.
      expect((await new ApiClient(test.url, { cookie: `sophon_session=${first.body.challenge}` }).get('/api/v1/me')).status).toBe(401);
      expect((await new ApiClient(test.url, { token: first.body.challenge }).get('/api/v1/me')).status).toBe(401);
    });

    it('signs in with a code, and never accepts the same code twice', async () => {
      const code = app.codeAt(now());
      const { second, client } = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ user: { email: user.email }, mustChangePassword: false, csrfToken: expect.any(String), session: { id: expect.any(String) } });
      expect((await client!.get('/api/v1/me')).status).toBe(200);

      const replay = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code });
      expect(replay.second.status).toBe(401);
      expect(replay.second.body.error.code).toBe('TWO_FACTOR_CODE_INVALID');
      expect(cookiesOf(replay.second).sophon_session).toBeUndefined();
      // An older code inside the drift window is spent too, once a newer one was used.
      test.clock.advance(STEP);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now()) })).second.status).toBe(200);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now() - STEP) })).second.status).toBe(401);
    });

    it('accepts one step of clock drift each way, not two', async () => {
      test.clock.advance(5 * STEP);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now() - 2 * STEP) })).second.status).toBe(401);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now() + 2 * STEP) })).second.status).toBe(401);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now() - STEP) })).second.status).toBe(200);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now() + STEP) })).second.status).toBe(200);
    });

    it('signs in with a recovery code once', async () => {
      const code = recoveryCodes[0]!;
      const first = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { recoveryCode: code.toLowerCase() });
      expect(first.second.status).toBe(200);
      expect((await first.client!.get('/api/v1/me')).status).toBe(200);
      const again = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { recoveryCode: code });
      expect(again.second.status).toBe(401);
      expect(again.second.body.error.code).toBe('TWO_FACTOR_CODE_INVALID');
      expect((await user.client.get('/api/v1/me/two-factor')).body.recoveryCodesRemaining).toBe(9);
    });

    it('spends a challenge on success, and after five wrong codes', async () => {
      // Past the step the drift test spent ahead of time.
      test.clock.advance(2 * STEP);
      const anonymous = test.anonymous;
      const first = await anonymous.post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD });
      expect((await anonymous.post('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: app.codeAt(now()) })).status).toBe(200);
      test.clock.advance(STEP);
      const reused = await anonymous.post('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: app.codeAt(now()) });
      expect(reused.body.error.code).toBe('LOGIN_CHALLENGE_INVALID');

      const second = await anonymous.post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD });
      for (let attempt = 0; attempt < 5; attempt++) {
        const wrong = await anonymous.post('/api/v1/auth/login/two-factor', { challenge: second.body.challenge, code: '000000' });
        expect(wrong.status).toBe(401);
      }
      const dead = await anonymous.post('/api/v1/auth/login/two-factor', { challenge: second.body.challenge, code: app.codeAt(now()) });
      expect(dead.body.error.code).toBe('LOGIN_CHALLENGE_INVALID');
      // The wrong codes count against the account: the throttle forgets them after its reset time.
      test.clock.advance(12 * 3_600_000);
    });

    it('lets a challenge expire after five minutes', async () => {
      const first = await test.anonymous.post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD });
      test.clock.advance(5 * 60_000);
      const late = await test.anonymous.post('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: app.codeAt(now()) });
      expect(late.body.error.code).toBe('LOGIN_CHALLENGE_INVALID');
    });

    it('audits every step without a secret in it', async () => {
      const events = (await test.admin.get(`/api/v1/audit?user=${user.id}&category=auth&limit=500`)).body.items as { action: string; outcome: string; detail: unknown }[];
      const actions = new Set(events.map((event) => event.action));
      for (const action of ['login.password_verified', 'login.succeeded', 'login.two_factor_failed', 'two_factor.enabled']) expect(actions).toContain(action);
      const text = JSON.stringify(events);
      expect(text).not.toContain(USER_PASSWORD);
      expect(text).not.toContain(recoveryCodes[0]);
      expect(text).not.toContain(app.secret.toString('base64url'));
    });
  });

  describe('recovery codes and turning 2FA off', () => {
    it('regenerates the codes with the password, and the old set stops working', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { recoveryCodes } = await enrol(test, user.client, USER_PASSWORD);
      expect((await user.client.post('/api/v1/me/two-factor/recovery-codes', { currentPassword: 'wrong password!' })).body.error.code).toBe('CURRENT_PASSWORD_WRONG');
      const fresh = await user.client.post('/api/v1/me/two-factor/recovery-codes', { currentPassword: USER_PASSWORD });
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { recoveryCode: recoveryCodes[1]! })).second.status).toBe(401);
      expect((await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { recoveryCode: fresh.body.recoveryCodes[1] })).second.status).toBe(200);
    });

    it('turns off with the password, and sign-in is one step again', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      await enrol(test, user.client, USER_PASSWORD);
      expect((await user.client.post('/api/v1/me/two-factor/disable', { currentPassword: 'wrong password!' })).status).toBe(400);
      const disabled = await user.client.post('/api/v1/me/two-factor/disable', { currentPassword: USER_PASSWORD });
      expect(disabled.body).toMatchObject({ enabled: false });
      const login = await test.login(user.email, USER_PASSWORD);
      expect(login.response.body.twoFactorRequired).toBeUndefined();
      expect((await login.client.get('/api/v1/me')).status).toBe(200);
    });
  });

  describe('admin reset', () => {
    it('removes the authenticator and recovery codes, is audited, and ends no session', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const { recoveryCodes } = await enrol(test, user.client, USER_PASSWORD);
      const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-2fa`);
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ userId: user.id, wasEnabled: true, reenrolmentRequired: true });
      // The session stays open, held to enrolment: it can still read and start 2FA.
      expect((await user.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: false, recoveryCodesRemaining: 0 });
      const login = await test.login(user.email, USER_PASSWORD);
      expect(login.response.status).toBe(200);
      expect(login.response.body.twoFactorRequired).toBeUndefined();
      expect(await test.server.services.context.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(0);
      expect(recoveryCodes).toHaveLength(10);
      const events = (await test.admin.get(`/api/v1/audit?user=${user.id}&category=auth`)).body.items;
      expect(events.find((event: { action: string }) => event.action === 'two_factor.reset')).toMatchObject({
        outcome: 'success',
        subjectId: user.id,
        diff: { before: { twoFactor: true }, after: { twoFactor: false, reenrolmentRequired: true } },
      });
    });

    it('makes the user enrol again at the next sign-in, with no Require 2FA policy anywhere', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const token = new ApiClient(test.url, { token: (await user.client.post('/api/v1/me/tokens', { name: 'ci', expiresIn: '30d' })).body.secret });
      await enrol(test, user.client, USER_PASSWORD);
      expect((await test.admin.get('/api/v1/settings/authentication')).body.effective.requireTwoFactor).toBe(false);
      expect((await test.admin.post(`/api/v1/users/${user.id}/reset-2fa`)).body.reenrolmentRequired).toBe(true);

      // Signing in with the password alone opens a session that can only enrol, as under Require 2FA.
      const login = await test.login(user.email, USER_PASSWORD);
      expect(login.response.status).toBe(200);
      expect(login.response.body).toMatchObject({ twoFactorEnrollmentRequired: true });
      expect(login.response.body.twoFactorRequired).toBeUndefined();
      for (const client of [login.client, user.client, token]) {
        const blocked = await client.get('/api/v1/me');
        expect(blocked.status).toBe(403);
        expect(blocked.body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      }
      expect((await login.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: false, required: true, reenrolmentRequired: true });
      // Signing in again doesn't lift it: only enrolling does.
      expect((await test.login(user.email, USER_PASSWORD)).response.body.twoFactorEnrollmentRequired).toBe(true);

      const { app } = await enrol(test, login.client, USER_PASSWORD);
      expect((await login.client.get('/api/v1/me')).status).toBe(200);
      expect((await token.get('/api/v1/me')).status).toBe(200);
      expect((await login.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: true, required: false, reenrolmentRequired: false });
      test.clock.advance(STEP);
      const next = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now()) });
      expect(next.second.body.twoFactorEnrollmentRequired).toBe(false);

      // Turned off by the user later, it is not owed again: the obligation was the reset's, and it is met.
      expect((await next.client!.post('/api/v1/me/two-factor/disable', { currentPassword: USER_PASSWORD })).status).toBe(200);
      const free = await test.login(user.email, USER_PASSWORD);
      expect(free.response.body.twoFactorEnrollmentRequired).toBe(false);
      expect((await free.client.get('/api/v1/me')).status).toBe(200);
    });

    it('asks nothing of a user who never had 2FA', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      expect((await test.admin.post(`/api/v1/users/${user.id}/reset-2fa`)).body).toEqual({ userId: user.id, wasEnabled: false, reenrolmentRequired: false });
      const login = await test.login(user.email, USER_PASSWORD);
      expect(login.response.body.twoFactorEnrollmentRequired).toBe(false);
      expect((await login.client.get('/api/v1/me')).status).toBe(200);
    });

    it('needs ManageUsers in the user\'s home tenant', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      const operator = await createSignedInUser(test, { role: 'Operator' });
      const denied = await operator.client.post(`/api/v1/users/${user.id}/reset-2fa`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.missingPermission).toBe('ManageUsers');

      expect((await test.admin.post('/api/v1/tenants', { slug: `guest-${engine}`, name: 'Guests' })).status).toBe(201);
      const guestAdmin = await createSignedInUser(test, { role: 'Admin', tenant: `guest-${engine}` });
      // The user is a guest in the other tenant: its Admin can't reset an account whose home is elsewhere.
      expect((await test.admin.inTenant(`guest-${engine}`).put(`/api/v1/users/${user.id}/role`, { role: 'Viewer' })).status).toBe(200);
      const foreign = await guestAdmin.client.post(`/api/v1/users/${user.id}/reset-2fa`);
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('PERMISSION_MISSING');
    });
  });

  describe('requiring 2FA', () => {
    it('in a tenant: its users can only enrol after the password, then sign in with a code', async () => {
      const slug = `acme-${engine}`;
      expect((await test.admin.post('/api/v1/tenants', { slug, name: 'Acme' })).status).toBe(201);
      const required = await test.admin.put(`/api/v1/tenants/${slug}/settings/authentication`, { requireTwoFactor: true });
      expect(required.status).toBe(200);
      expect(required.body.effective).toMatchObject({ requireTwoFactor: true, sources: { requireTwoFactor: 'tenant admin API' } });

      const user = await createSignedInUser(test, { role: 'Viewer', tenant: slug });
      const login = await test.login(user.email, USER_PASSWORD);
      expect(login.response.body.twoFactorEnrollmentRequired).toBe(true);
      for (const [method, url] of [['GET', '/api/v1/me'], ['GET', '/api/v1/me/sessions'], ['POST', '/api/v1/me/tokens'], ['GET', '/api/v1/users']] as const) {
        const blocked = await login.client.request(method, url, method === 'POST' ? { name: 'x' } : undefined);
        expect(blocked.status).toBe(403);
        expect(blocked.body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      }
      expect((await login.client.get('/api/v1/me/two-factor')).body).toMatchObject({ enabled: false, required: true });
      const { app } = await enrol(test, login.client, USER_PASSWORD);
      expect((await login.client.get('/api/v1/me')).status).toBe(200);

      test.clock.advance(STEP);
      const next = await signInWithSecondFactor(test.url, user.email, USER_PASSWORD, { code: app.codeAt(now()) });
      expect(next.second.body.twoFactorEnrollmentRequired).toBe(false);
      expect((await next.client!.get('/api/v1/me')).status).toBe(200);

      // Acting in the tenant is held to its rule too, whoever's home it is.
      const blockedAdmin = await test.admin.inTenant(slug).get('/api/v1/users');
      expect(blockedAdmin.body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      expect((await test.admin.get('/api/v1/users')).status).toBe(200);
      expect((await test.admin.put(`/api/v1/tenants/${slug}/settings/authentication`, { requireTwoFactor: null })).body.effective.requireTwoFactor).toBe(false);
      expect((await test.admin.inTenant(slug).get('/api/v1/users')).status).toBe(200);
    });

    it('installation-wide, through the settings API (ManageSettings)', async () => {
      const user = await createSignedInUser(test, { role: 'Viewer' });
      expect((await user.client.put('/api/v1/settings/authentication', { requireTwoFactor: true })).body.error.missingPermission).toBe('ManageSettings');
      const on = await test.admin.put('/api/v1/settings/authentication', { requireTwoFactor: true });
      expect(on.body.effective).toMatchObject({ requireTwoFactor: true, sources: { requireTwoFactor: 'admin API' } });
      expect((await user.client.get('/api/v1/me')).body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      // The admin is held to it as well, token and all, until they enrol.
      expect((await test.admin.get('/api/v1/users')).body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      const admin = await test.admin.get('/api/v1/me/two-factor');
      expect(admin.body.required).toBe(true);
      expect((await test.admin.put('/api/v1/settings/authentication', { requireTwoFactor: false })).body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
      await enrol(test, test.admin, 'admin password for tests');
      expect((await test.admin.put('/api/v1/settings/authentication', { requireTwoFactor: false })).status).toBe(200);
      expect((await user.client.get('/api/v1/me')).status).toBe(200);
    });
  });
});

describe.each(engines)('a lost two-factor key on %s', (engine) => {
  it('is a clear error for users with 2FA, not a crash, and an admin reset gets them back in', async () => {
    const database = await createTestDatabase(engine);
    try {
      const first = await startTestServer(engine, { database });
      const user = await createSignedInUser(first, { role: 'Viewer' });
      const { app } = await enrol(first, user.client, USER_PASSWORD);
      await first.close();
      rmSync(path.join(database.dataDir, 'two-factor.key'));

      const second = await startTestServer(engine, { database });
      try {
        expect(second.printed.join('\n')).toMatch(/two-factor\.key is missing, but 1 TOTP secret\(s\) are sealed with it/);
        const signIn = await signInWithSecondFactor(second.url, user.email, USER_PASSWORD, { code: app.codeAt(second.clock.now().getTime()) });
        expect(signIn.second.status).toBe(503);
        expect(signIn.second.body.error.code).toBe('TWO_FACTOR_UNAVAILABLE');
        expect(cookiesOf(signIn.second).sophon_session).toBeUndefined();

        expect((await second.admin.post(`/api/v1/users/${user.id}/reset-2fa`)).status).toBe(200);
        const after = await second.login(user.email, USER_PASSWORD);
        expect(after.response.status).toBe(200);
        expect((await after.client.post('/api/v1/me/two-factor/enrollment')).body.error.code).toBe('TWO_FACTOR_UNAVAILABLE');
      } finally {
        await second.close();
      }
      // With no secret left that needs it, the next start makes a new key and enrolment works again.
      const third = await startTestServer(engine, { database });
      try {
        const login = await third.login(user.email, USER_PASSWORD);
        expect((await login.client.post('/api/v1/me/two-factor/enrollment')).status).toBe(201);
      } finally {
        await third.close();
      }
    } finally {
      await database.drop();
    }
  });
});

// `sessionClient` is re-exported for other suites that sign in with two steps.
export { sessionClient };

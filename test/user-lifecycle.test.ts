import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { linkTokenIn, MailSink } from './support/mail-sink.ts';

const DAY = 86_400_000;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

describe.each(engines)('user lifecycle with SMTP on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  beforeAll(async () => {
    await sink.start();
    test = await startTestServer(engine, { environment: sink.environment() });
  });
  afterAll(async () => {
    await test.close();
    await sink.stop();
  });

  it('invites a user by email; they set their password from the link, once', async () => {
    const email = uniqueEmail('invitee');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Invited Person', role: 'Viewer' });
    expect(created.status).toBe(201);
    expect(created.body.invitation).toMatchObject({ delivery: 'queued' });
    expect(created.body.oneTimePassword).toBeUndefined();

    const mail = await sink.waitFor(email);
    expect(mail.raw).toContain('Invited Person');
    const token = linkTokenIn(mail);
    const redeemed = await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'my very own passphrase' });
    expect(redeemed.status).toBe(200);
    const again = await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'another passphrase here' });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('LINK_INVALID');

    const { response } = await test.login(email, 'my very own passphrase');
    expect(response.status).toBe(200);
    expect(response.body.mustChangePassword).toBe(false);

    const outbox = await test.admin.get('/api/v1/mail/outbox');
    const entry = outbox.body.items.find((item: { recipient: string }) => item.recipient === email);
    expect(entry).toMatchObject({ kind: 'invitation', status: 'sent' });
    expect(entry.bodyText).toBeUndefined();
    expect((await test.admin.get(`/api/v1/users/${created.body.user.id}/activity`)).body.lastMail).toMatchObject({ kind: 'invitation', delivery: 'sent', attempts: 1 });
  });

  it('keeps the mail while SMTP is down and delivers it once SMTP is back', async () => {
    await sink.stop();
    const email = uniqueEmail('patient');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Patient Person' });
    expect(created.status).toBe(201);

    const failedAttempt = async () => {
      for (let i = 0; i < 200; i++) {
        const outbox = await test.admin.get('/api/v1/mail/outbox');
        const entry = outbox.body.items.find((item: { recipient: string }) => item.recipient === email);
        if (entry?.attempts > 0) return entry;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the worker never tried');
    };
    const pending = await failedAttempt();
    expect(pending.status).toBe('pending');
    expect(pending.lastError).toBeTruthy();

    await sink.start();
    test.clock.advance(60_000); // past the retry backoff
    const mail = await sink.waitFor(email);
    expect(linkTokenIn(mail)).toBeTruthy();
  });

  it('resets a password by emailed link, which ends every session of the user', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    expect((await user.client.get('/api/v1/me')).status).toBe(200);
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ delivery: 'queued' });
    expect(reset.body.link).toBeUndefined();

    // The first mail is the notice of their account (an admin typed their password); the second, the reset.
    const token = linkTokenIn(await sink.waitFor(user.email, 2));
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'a brand new passphrase' })).status).toBe(200);
    expect((await user.client.get('/api/v1/me')).status).toBe(401);
    expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(401);
    expect((await test.login(user.email, 'a brand new passphrase')).response.status).toBe(200);
  });
});

describe.each(engines)('user lifecycle without SMTP on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(() => test.close());

  it('returns a generated one-time password once, which must be changed and expires', async () => {
    const email = uniqueEmail('fresh');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Fresh' });
    expect(created.status).toBe(201);
    const oneTime: string = created.body.oneTimePassword;
    expect(oneTime.length).toBeGreaterThanOrEqual(16);
    const shown = await test.admin.get(`/api/v1/users/${created.body.user.id}`);
    expect(JSON.stringify(shown.body)).not.toContain(oneTime);

    const first = await test.login(email, oneTime);
    expect(first.response.body.mustChangePassword).toBe(true);

    const late = await test.admin.post('/api/v1/users', { email: uniqueEmail('late'), displayName: 'Late' });
    test.clock.advance(8 * DAY);
    const expired = await test.login(late.body.user.email, late.body.oneTimePassword);
    expect(expired.response.status).toBe(401);
    expect(expired.response.body.error.code).toBe('ONE_TIME_PASSWORD_EXPIRED');
  });

  it('rejects common and too-short passwords, saying why', async () => {
    const common = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', password: 'password1234' });
    expect(common.status).toBe(400);
    expect(common.body.error.code).toBe('PASSWORD_TOO_COMMON');
    const short = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', password: 'short' });
    expect(short.body.error.code).toBe('PASSWORD_TOO_SHORT');
    expect(short.body.error.message).toContain('12');
    const long = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', password: 'x'.repeat(40) + ' a sixty-four character pass phrase' });
    expect(long.status).toBe(201);
  });

  it('lets exactly one of many concurrent redemptions of a reset link succeed', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    expect(reset.body.delivery).toBe('manual');
    const token = new URL(reset.body.link).hash.replace('#token=', '');
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, index) => test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: `concurrent passphrase ${index}` })),
    );
    expect(attempts.filter((attempt) => attempt.status === 200)).toHaveLength(1);
    expect(attempts.filter((attempt) => attempt.status === 400)).toHaveLength(7);
    // The losers count as failed attempts from this address; let the count reset so later
    // sign-ins from 127.0.0.1 in this suite aren't throttled, whatever order the race ran in.
    test.clock.advance(12 * 3_600_000);
  });

  it('refuses an expired reset link', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    test.clock.advance(2 * 3_600_000);
    const token = new URL(reset.body.link).hash.replace('#token=', '');
    const late = await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'too late passphrase' });
    expect(late.body.error.code).toBe('LINK_INVALID');
  });

  it('suspends a user: their session and token stop at once; re-activation restores login', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const token = (await user.client.post('/api/v1/me/tokens', { name: 'script', expiresIn: '30d' })).body.secret;
    const byToken = new ApiClient(test.url, { token });
    expect((await byToken.get('/api/v1/me')).status).toBe(200);

    expect((await test.admin.post(`/api/v1/users/${user.id}/suspend`)).body.status).toBe('suspended');
    expect((await user.client.get('/api/v1/me')).status).toBe(401);
    expect((await byToken.get('/api/v1/me')).body.error.code).toBe('ACCOUNT_SUSPENDED');
    expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(401);

    expect((await test.admin.post(`/api/v1/users/${user.id}/reactivate`)).body.status).toBe('active');
    expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(200);
    expect((await user.client.get('/api/v1/me')).status).toBe(401); // the old session stays ended
    expect((await byToken.get('/api/v1/me')).status).toBe(200); // unrevoked, unexpired tokens work again
  });

  it('moves a user to another tenant together with their workflows', async () => {
    const mover = await createSignedInUser(test, { role: 'Admin' });
    const workflow = await mover.client.post('/api/v1/workflows', { name: 'quarterly close', content: { steps: 3 } });
    expect(workflow.status).toBe(201);

    const moved = await test.admin.post(`/api/v1/users/${mover.id}/move`, { tenant: 'acme', role: 'Operator' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ homeTenant: 'acme', role: 'Operator', movedResources: 1 });

    expect((await test.admin.get(`/api/v1/workflows/${workflow.body.id}`)).status).toBe(404);
    expect((await test.admin.get(`/api/v1/users/${mover.id}`)).status).toBe(404);
    const inAcme = await test.admin.inTenant('acme').get(`/api/v1/workflows/${workflow.body.id}`);
    expect(inAcme.body).toMatchObject({ ownerId: mover.id, name: 'quarterly close' });
    expect((await test.admin.get('/api/v1/audit?category=users')).body.items.some((event: { action: string }) => event.action === 'user.moved')).toBe(true);
  });

  it('refuses to let users move themselves or change their own role', async () => {
    const me = await test.admin.get('/api/v1/me');
    const self = await test.admin.post(`/api/v1/users/${me.body.user.id}/move`, { tenant: 'acme' });
    expect(self.body.error.code).toBe('CANNOT_CHANGE_OWN_TENANT');
  });

  it("deletes a user, keeps their documents as orphans, reassigns some and purges the rest", async () => {
    const leaver = await createSignedInUser(test, { role: 'Admin' });
    const colleague = await createSignedInUser(test, { role: 'Viewer' });
    const doc = await leaver.client.post('/api/v1/documents', { name: 'handbook' });
    const memory = await leaver.client.post('/api/v1/memory', { name: 'notes' });
    const deleted = await test.admin.delete(`/api/v1/users/${leaver.id}`);
    expect(deleted.body.orphanedResources).toBe(2);
    expect((await test.admin.get(`/api/v1/users/${leaver.id}`)).status).toBe(404);
    const orphan = await test.admin.get(`/api/v1/documents/${doc.body.id}`);
    expect(orphan.body).toMatchObject({ ownerId: null, previousOwnerId: leaver.id });
    expect(orphan.body.orphanedAt).toBeTruthy();

    const reassigned = await test.admin.post('/api/v1/users/reassign', { from: leaver.id, to: colleague.id });
    expect(reassigned.body.reassigned).toBe(2);
    expect((await test.admin.get(`/api/v1/documents/${doc.body.id}`)).body.ownerId).toBe(colleague.id);

    // A second leaver's data is purged once old enough; the dry run deletes nothing.
    const second = await createSignedInUser(test, { role: 'Admin' });
    const stale = await second.client.post('/api/v1/agents', { name: 'stale agent' });
    await test.admin.delete(`/api/v1/users/${second.id}`);
    expect((await test.admin.post('/api/v1/users/purge-orphans', { olderThan: '30d' })).body.count).toBe(0);
    test.clock.advance(31 * DAY);
    const dry = await test.admin.post('/api/v1/users/purge-orphans', { olderThan: '30d', dryRun: true });
    expect(dry.body.items.map((item: { id: string }) => item.id)).toContain(stale.body.id);
    expect((await test.admin.get(`/api/v1/agents/${stale.body.id}`)).status).toBe(200);
    const purged = await test.admin.post('/api/v1/users/purge-orphans', { olderThan: '30d' });
    expect(purged.body.count).toBeGreaterThanOrEqual(1);
    expect((await test.admin.get(`/api/v1/agents/${stale.body.id}`)).status).toBe(404);
    expect(memory.status).toBe(201);

    const trail = (await test.admin.get('/api/v1/audit?category=resources')).body.items.map((event: { action: string }) => event.action);
    expect(trail).toEqual(expect.arrayContaining(['orphans.reassigned', 'orphans.purged']));
  });

  it('shows account activity: last login, sessions, tokens and recent actions; sessions revocable one by one', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    await user.client.post('/api/v1/me/tokens', { name: 'laptop', expiresIn: '7d' });
    const activity = await test.admin.get(`/api/v1/users/${user.id}/activity`);
    expect(activity.status).toBe(200);
    expect(activity.body.lastLogin).toMatchObject({ ip: '127.0.0.1' });
    expect(activity.body.sessions).toHaveLength(1);
    expect(activity.body.tokens[0]).toMatchObject({ name: 'laptop' });
    expect(activity.body.tokens[0].tokenHash).toBeUndefined();
    expect(activity.body.recentEvents.length).toBeGreaterThan(0);

    const revoked = await test.admin.delete(`/api/v1/users/${user.id}/sessions/${activity.body.sessions[0].id}`);
    expect(revoked.status).toBe(204);
    expect((await user.client.get('/api/v1/me')).status).toBe(401);
  });

  it('lets users set their display name and avatar, validated by content and served safely', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    expect((await user.client.patch('/api/v1/me', { displayName: 'New Name' })).body.displayName).toBe('New Name');
    const refused = await user.client.patch('/api/v1/me', { homeTenantId: 'elsewhere' });
    expect(refused.status).toBe(400);

    const upload = (body: Buffer, type: string) =>
      fetch(`${test.url}/api/v1/me/avatar`, {
        method: 'PUT',
        headers: { 'content-type': type, cookie: user.client.credential.cookie!, 'x-csrf-token': user.client.credential.csrf! },
        body: new Uint8Array(body),
      });
    // Whether there is an avatar is told up front, so the dashboard never asks for one that isn't there.
    expect((await user.client.get('/api/v1/me')).body.avatarUpdatedAt).toBeNull();
    expect((await upload(PNG, 'image/png')).status).toBe(200);
    expect((await user.client.get('/api/v1/me')).body.avatarUpdatedAt).toEqual(expect.any(String));
    expect((await test.admin.get(`/api/v1/users/${user.id}/activity`)).body.avatarUpdatedAt).toEqual(expect.any(String));
    const fake = await upload(Buffer.from('<script>alert(1)</script>'), 'image/png');
    expect(fake.status).toBe(400);
    expect(((await fake.json()) as { error: { code: string } }).error.code).toBe('AVATAR_TYPE_UNSUPPORTED');
    expect((await upload(Buffer.alloc(600 * 1024, 1), 'image/png')).status).toBe(413);

    const served = await fetch(`${test.url}/api/v1/users/${user.id}/avatar`, { headers: { authorization: `Bearer ${test.admin.credential.token}` } });
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it("keeps one tenant's admin away from another tenant's users", async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
    const defaultUser = await createSignedInUser(test, { role: 'Viewer' });
    for (const attempt of [
      acmeAdmin.client.post(`/api/v1/users/${defaultUser.id}/reset-password`),
      acmeAdmin.client.post(`/api/v1/users/${defaultUser.id}/suspend`),
      acmeAdmin.client.get(`/api/v1/users/${defaultUser.id}/activity`),
      acmeAdmin.client.post(`/api/v1/users/${defaultUser.id}/move`, { tenant: 'acme' }),
    ]) {
      expect((await attempt).status).toBe(404);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';
import { linkTokenIn, MailSink } from './support/mail-sink.ts';

const MINUTE = 60_000;
/** Whatever follows `token=` in a text: what a reader of the stored row would try. */
const tokenAfter = (text: string) => /set-password#token=(\S+)/.exec(text)?.[1];

async function lastMailOf(client: ApiClient, userId: string) {
  const activity = await client.get(`/api/v1/users/${userId}/activity`);
  expect(activity.status).toBe(200);
  return activity.body.lastMail;
}

/** Polls the user's activity until their last mail matches `done` (the outbox worker runs every 50 ms). */
async function waitForMail(client: ApiClient, userId: string, done: (mail: { delivery: string; attempts: number }) => boolean, onEachPass?: () => void) {
  for (let pass = 0; pass < 400; pass++) {
    const mail = await lastMailOf(client, userId);
    if (mail && done(mail)) return mail;
    onEachPass?.();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the last mail of ${userId} never got there: ${JSON.stringify(await lastMailOf(client, userId))}`);
}

describe.each(engines)('mail that cannot be delivered on %s', (engine) => {
  // SMTP points at a closed port until the last test opens the sink there.
  const sink = new MailSink();
  let test: TestServer;
  const storedRow = (messageId: string) => test.server.database.db.selectFrom('mail_outbox').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();

  beforeAll(async () => {
    await sink.useClosedPort();
    test = await startTestServer(engine, { environment: sink.environment() });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await test.close();
    await sink.stop();
  });

  it('answers that the invitation is queued, not emailed, and shows it failing, then failed, on the user page', async () => {
    const created = await test.admin.post('/api/v1/users', { email: uniqueEmail('unreachable'), displayName: 'Unreachable' });
    expect(created.status).toBe(201);
    expect(created.body.invitation).toEqual({ delivery: 'queued', messageId: expect.any(String), expiresAt: expect.any(String) });
    expect(created.body.oneTimePassword).toBeUndefined();
    const userId: string = created.body.user.id;

    const retrying = await waitForMail(test.admin, userId, (mail) => mail.attempts > 0);
    expect(retrying).toMatchObject({ messageId: created.body.invitation.messageId, kind: 'invitation', delivery: 'queued', sentAt: null });
    expect(retrying.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(retrying.nextAttemptAt).toBeTruthy();

    // Past every retry's backoff, until the outbox gives up.
    const failed = await waitForMail(test.admin, userId, (mail) => mail.delivery === 'failed', () => test.clock.advance(16 * MINUTE));
    expect(failed).toMatchObject({ delivery: 'failed', attempts: 10, nextAttemptAt: null });
    expect(failed.lastError).toBeTruthy();
    // The outbox says the same, in its own words.
    const listed = (await test.admin.get('/api/v1/mail/outbox')).body.items.find((item: { id: string }) => item.id === created.body.invitation.messageId);
    expect(listed).toMatchObject({ status: 'failed', attempts: 10 });
  });

  it('hands the admin a fresh one-time link for a user whose invitation failed; it works once and is audited', async () => {
    const email = uniqueEmail('handover');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Hand Over' });
    const userId: string = created.body.user.id;
    await waitForMail(test.admin, userId, (mail) => mail.delivery === 'failed', () => test.clock.advance(16 * MINUTE));

    expect((await test.admin.post(`/api/v1/users/${userId}/one-time-link`, {})).status).toBe(400);
    const handed = await test.admin.post(`/api/v1/users/${userId}/one-time-link`, { deliver: 'manual' });
    expect(handed.status).toBe(200);
    expect(handed.body).toMatchObject({ delivery: 'manual', purpose: 'invitation', cancelledMessages: [] });
    const token = new URL(handed.body.link).hash.replace('#token=', '');
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'handed over passphrase' })).status).toBe(200);
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'handed over passphrase' })).body.error.code).toBe('LINK_INVALID');
    expect((await test.login(email, 'handed over passphrase')).response.status).toBe(200);

    const trail = (await test.admin.get(`/api/v1/audit?user=${userId}&category=users`)).body.items;
    const event = trail.find((item: { action: string }) => item.action === 'one_time_link.handed_over');
    expect(event).toMatchObject({ subjectId: userId, detail: { purpose: 'invitation', expiresAt: handed.body.expiresAt } });
    expect(JSON.stringify(trail)).not.toContain(token);
  });

  it('keeps no working link in the stored row of a queued invitation or reset', async () => {
    const triesTheStoredLink = async (row: { status: string; body_text: string }) => {
      expect(row.status).toBe('pending');
      const stored = tokenAfter(row.body_text);
      expect(stored).toBeTruthy();
      const tried = await test.anonymous.post('/api/v1/auth/redeem-link', { token: stored, newPassword: 'stolen from the outbox' });
      expect(tried.status).toBe(400);
      expect(tried.body.error.code).toBe('LINK_INVALID');
    };
    const created = await test.admin.post('/api/v1/users', { email: uniqueEmail('sealed'), displayName: 'Sealed' });
    await triesTheStoredLink(await storedRow(created.body.invitation.messageId));

    const user = await createSignedInUser(test, { role: 'Viewer' });
    const reset = await test.admin.post(`/api/v1/users/${user.id}/reset-password`);
    const outbox = (await test.admin.get('/api/v1/mail/outbox')).body.items;
    await triesTheStoredLink(await storedRow(outbox.find((item: { kind: string; userId: string }) => item.kind === 'password_reset' && item.userId === user.id).id));
    expect(reset.body).toEqual({ delivery: 'queued', messageId: expect.any(String), expiresAt: expect.any(String) });
  });

  it('withdraws a queued invitation when the admin hands over a link instead, and retires an unused initial password', async () => {
    const queued = await test.admin.post('/api/v1/users', { email: uniqueEmail('withdrawn'), displayName: 'Withdrawn' });
    const handed = await test.admin.post(`/api/v1/users/${queued.body.user.id}/one-time-link`, { deliver: 'manual' });
    expect(handed.body.cancelledMessages).toEqual([queued.body.invitation.messageId]);
    expect(await lastMailOf(test.admin, queued.body.user.id)).toMatchObject({ delivery: 'cancelled', kind: 'invitation' });

    // An admin-typed password with SMTP: a notice (no credential); handing over a link ends that password.
    const email = uniqueEmail('typed');
    const typed = await test.admin.post('/api/v1/users', { email, displayName: 'Typed', password: 'typed by the admin 1' });
    expect(typed.body.notice).toMatchObject({ delivery: 'queued' });
    const replaced = await test.admin.post(`/api/v1/users/${typed.body.user.id}/one-time-link`, { deliver: 'manual' });
    expect(replaced.body).toMatchObject({ purpose: 'invitation', initialPasswordRetired: true });
    expect((await test.login(email, 'typed by the admin 1')).response.body.error.code).toBe('ONE_TIME_PASSWORD_EXPIRED');
  });

  it('refuses the hand-over like any account change: another tenant is not found, a more privileged account is refused', async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, test.admin.inTenant('acme'));
    const viewerAtDefault = await createSignedInUser(test, { role: 'Viewer' });
    expect((await acmeAdmin.client.post(`/api/v1/users/${viewerAtDefault.id}/one-time-link`, { deliver: 'manual' })).status).toBe(404);

    const dual = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' }, test.admin.inTenant('acme'));
    expect((await test.admin.put(`/api/v1/tenants/default/members/${dual.id}`, { role: 'Admin' })).status).toBe(200);
    const refused = await acmeAdmin.client.post(`/api/v1/users/${dual.id}/one-time-link`, { deliver: 'manual' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'TARGET_MORE_PRIVILEGED', tenant: 'default' });
  });

  it('puts a working link into the mail only as it is sent, once SMTP answers; withdrawn mails never go out', async () => {
    const email = uniqueEmail('late');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Late Arrival' });
    const before = await storedRow(created.body.invitation.messageId);
    const withdrawnEmail = uniqueEmail('never');
    const withdrawn = await test.admin.post('/api/v1/users', { email: withdrawnEmail, displayName: 'Never Mailed' });
    await test.admin.post(`/api/v1/users/${withdrawn.body.user.id}/one-time-link`, { deliver: 'manual' });

    await sink.start();
    test.clock.advance(16 * MINUTE); // past any retry's backoff
    const mail = await sink.waitFor(email);
    const token = linkTokenIn(mail);
    expect(token).not.toBe(tokenAfter(before.body_text));
    expect(await lastMailOf(test.admin, created.body.user.id)).toMatchObject({ delivery: 'sent', lastError: null });
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'arrived after all' })).status).toBe(200);
    expect(sink.messages.some((message) => message.to.includes(withdrawnEmail))).toBe(false);
  });
});

describe.each(engines)('one first-login credential with SMTP on %s', (engine) => {
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

  it('mails a notice without any credential, never also a link, when the admin typed the password', async () => {
    const email = uniqueEmail('typed');
    const password = 'the admin typed this one';
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Tina Typed', password });
    expect(created.status).toBe(201);
    expect(created.body.invitation).toBeUndefined();
    expect(created.body.oneTimePassword).toBeUndefined();
    expect(created.body.notice).toEqual({ delivery: 'queued', messageId: expect.any(String) });

    const mail = await sink.waitFor(email);
    expect(mail.raw).toContain('Tina Typed');
    expect(mail.raw).toContain('will give you your first password');
    expect(mail.raw).not.toContain('set-password');
    expect(mail.raw).not.toContain(password);
    const links = await test.server.database.db.selectFrom('one_time_links').select('id').where('user_id', '=', created.body.user.id).execute();
    expect(links).toEqual([]);

    const signedIn = await test.login(email, password);
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.response.body.mustChangePassword).toBe(true);
    expect(await lastMailOf(test.admin, created.body.user.id)).toMatchObject({ kind: 'account_created', delivery: 'sent' });
  });

  it('invites by link alone when no password is given: the generated password is never shown', async () => {
    const email = uniqueEmail('linked');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Lena Linked' });
    expect(created.body).toMatchObject({ invitation: { delivery: 'queued' } });
    expect(created.body.notice).toBeUndefined();
    expect(created.body.oneTimePassword).toBeUndefined();
    const token = linkTokenIn(await sink.waitFor(email));
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'lena chose this herself' })).status).toBe(200);
  });
});

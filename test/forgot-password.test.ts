import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { linkTokenIn, MailSink, type ReceivedMail } from './support/mail-sink.ts';

const MINUTE = 60_000;
// The server believes X-Forwarded-For from the loopback proxy, so each case comes from its own address.
const behindProxy = { Sophon__Http__TrustProxy: '127.0.0.1' };

const ask = (test: TestServer, ip: string, email: string) => new ApiClient(test.url).request('POST', '/api/v1/auth/forgot-password', { email }, { 'x-forwarded-for': ip });
/** What a caller sees of an answer: its status, body and the headers that could tell accounts apart. */
const seen = (answer: ApiResponse) => ({ status: answer.status, body: answer.body, retryAfter: answer.headers.get('retry-after'), cacheControl: answer.headers.get('cache-control') });

describe.each(engines)('forgot password on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  const outboxOf = (recipient: string) => test.server.database.db.selectFrom('mail_outbox').select(['kind', 'subject', 'link_id']).where('recipient', '=', recipient).execute();
  const selfRequests = async (userId?: string) => {
    const query = userId ? `user=${userId}&` : '';
    const items = (await test.admin.get(`/api/v1/audit?${query}category=auth&limit=500`)).body.items as { action: string; outcome: string; subjectId: string | null; detail: Record<string, unknown> }[];
    return items.filter((item) => item.action === 'password_reset.self_requested');
  };
  /** The `nth` mail to `recipient` with this subject (the first by default; a user created with a password got an account notice before), once it has arrived. */
  const mailTo = async (recipient: string, subject: string, nth = 1): Promise<ReceivedMail> => {
    for (let count = 1, found = 0; ; count++) {
      const mail = await sink.waitFor(recipient, count);
      if (mail.raw.includes(`Subject: ${subject}`) && ++found === nth) return mail;
    }
  };

  beforeAll(async () => {
    await sink.start();
    test = await startTestServer(engine, { environment: { ...behindProxy, ...sink.environment() } });
  });
  afterAll(async () => {
    await test.close();
    await sink.stop();
  });

  it('answers a known, an unknown and a suspended email alike, and mails only the active account', async () => {
    const known = await createSignedInUser(test, { role: 'Viewer' });
    const suspended = await createSignedInUser(test, { role: 'Viewer' });
    expect((await test.admin.post(`/api/v1/users/${suspended.id}/suspend`)).status).toBe(200);
    const unknown = uniqueEmail('nobody');

    const answers = [await ask(test, '192.0.2.1', known.email), await ask(test, '192.0.2.2', unknown), await ask(test, '192.0.2.3', suspended.email)];
    expect(answers[0]!.status).toBe(202);
    expect(answers[0]!.body).toEqual({ status: 'accepted', message: expect.stringContaining('If this email belongs to an account') });
    expect(seen(answers[1]!)).toEqual(seen(answers[0]!));
    expect(seen(answers[2]!)).toEqual(seen(answers[0]!));
    // Any case of the address is the same account.
    expect(seen(await ask(test, '192.0.2.4', known.email.toUpperCase()))).toEqual(seen(answers[0]!));

    expect((await outboxOf(known.email)).filter((row) => row.kind === 'password_reset')).toHaveLength(2);
    expect(await outboxOf(unknown)).toEqual([]);
    expect((await outboxOf(suspended.email)).filter((row) => row.kind !== 'account_created')).toEqual([]);

    // Audited like failed sign-ins: the account's own event, or the unknown email as typed.
    expect(await selfRequests(known.id)).toContainEqual(expect.objectContaining({ outcome: 'success', subjectId: known.id, detail: expect.objectContaining({ result: 'link mailed' }) }));
    expect(await selfRequests(suspended.id)).toEqual([expect.objectContaining({ outcome: 'failure', detail: { reason: 'account suspended' } })]);
    expect((await selfRequests()).filter((event) => event.detail.email === unknown)).toEqual([
      expect.objectContaining({ outcome: 'failure', subjectId: null, detail: { email: unknown, reason: 'unknown email' } }),
    ]);
  });

  it("keeps an admin's choice to revoke API tokens when anyone asks for a newer reset link", async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    // An admin resets a compromised account and chooses to revoke its tokens on redemption.
    expect((await test.admin.post(`/api/v1/users/${user.id}/reset-password`, { revokeTokens: true })).status).toBe(200);
    // The admin's mail goes out first (the outbox may send it before or after the request below: wait for it, so the newer link is the second mail).
    const adminMail = await mailTo(user.email, 'Reset your Sophon password');
    // Whoever holds the account's session makes a token, then asks for a reset mail to replace the admin's link.
    const token = await user.client.post('/api/v1/me/tokens', { name: 'planted' });
    expect(token.status).toBe(201);
    expect((await ask(test, '192.0.2.77', user.email)).status).toBe(202);
    const mail = await mailTo(user.email, 'Reset your Sophon password', 2);
    expect(linkTokenIn(mail)).not.toBe(linkTokenIn(adminMail));
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token: linkTokenIn(mail), newPassword: 'the owner takes it back' })).status).toBe(200);
    // The newest link carried the revocation: the planted token is dead.
    expect((await new ApiClient(test.url, { token: token.body.secret }).get('/api/v1/me')).status).toBe(401);
  });

  it('mails a one-time link that sets a new password, signs in with it, and works once', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    expect((await ask(test, '192.0.2.10', user.email)).status).toBe(202);
    const mail = await mailTo(user.email, 'Reset your Sophon password');
    expect(mail.raw).toContain('asked to reset the password');
    const token = linkTokenIn(mail);

    const redeemed = await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'chosen after forgetting' });
    expect(redeemed.status).toBe(200);
    expect((await test.login(user.email, 'chosen after forgetting')).response.status).toBe(200);
    expect((await test.login(user.email, USER_PASSWORD)).response.status).toBe(401);
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'chosen a second time' })).body.error.code).toBe('LINK_INVALID');
    // Only the link's hash is kept, never the token.
    const stored = await test.server.database.db.selectFrom('one_time_links').select('token_hash').where('user_id', '=', user.id).execute();
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('mails an account that signs in only through single sign-on that it has no password, with no link', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    // As single sign-on leaves an account it created or linked: no password, none to choose.
    await test.server.database.db.updateTable('users').set({ password_hash: '!no-password', must_change_password: 0 }).where('id', '=', user.id).execute();
    const unknown = await ask(test, '192.0.2.21', uniqueEmail('nobody'));

    const answer = await ask(test, '192.0.2.20', user.email);
    expect(seen(answer)).toEqual(seen(unknown));
    const mail = await mailTo(user.email, 'Your Sophon account has no password');
    expect(mail.raw).toContain('identity provider');
    expect(mail.raw).not.toContain('set-password#token=');
    expect((await outboxOf(user.email)).filter((row) => row.kind !== 'account_created')).toEqual([{ kind: 'single_sign_on_notice', subject: 'Your Sophon account has no password', link_id: null }]);
    expect(await selfRequests(user.id)).toEqual([expect.objectContaining({ outcome: 'success', detail: expect.objectContaining({ result: 'single sign-on notice mailed' }) })]);
    // What the user's page says of it.
    expect((await test.admin.get(`/api/v1/users/${user.id}/activity`)).body.lastMail).toMatchObject({ kind: 'single_sign_on_notice' });
  });

  it('throttles per account from one address, known or unknown alike, with Retry-After, and lets a request through again after the wait', async () => {
    const known = await createSignedInUser(test, { role: 'Viewer' });
    const unknown = uniqueEmail('nobody');
    const knownAnswers: ApiResponse[] = [];
    const unknownAnswers: ApiResponse[] = [];
    for (let index = 0; index < 4; index++) {
      knownAnswers.push(await ask(test, '198.51.100.1', known.email));
      unknownAnswers.push(await ask(test, '198.51.100.101', unknown));
    }
    expect(knownAnswers.map((answer) => answer.status)).toEqual([202, 202, 202, 429]);
    expect(knownAnswers.map(seen)).toEqual(unknownAnswers.map(seen));
    expect(knownAnswers[3]!.body.error).toEqual({ code: 'PASSWORD_RESET_RATE_LIMITED', message: expect.stringContaining('wait 900 seconds'), retryAfterSeconds: 900 });
    expect(knownAnswers[3]!.headers.get('retry-after')).toBe('900');
    expect((await outboxOf(known.email)).filter((row) => row.kind === 'password_reset')).toHaveLength(3);
    expect(await selfRequests(known.id)).toContainEqual(expect.objectContaining({ outcome: 'failure', detail: { reason: 'throttled', notAuditedUntil: expect.any(String) } }));
    // Someone else asking for this account from elsewhere doesn't keep its owner from resetting.
    expect((await ask(test, '198.51.100.2', known.email)).status).toBe(202);

    test.clock.advance(15 * MINUTE);
    expect((await ask(test, '198.51.100.1', known.email)).status).toBe(202);
    expect((await ask(test, '198.51.100.1', known.email)).status).toBe(429);
  });

  it('audits the first refused request of a throttle wait only, saying until when, and the first of the next wait again', async () => {
    const known = await createSignedInUser(test, { role: 'Viewer' });
    const throttled = async () => (await selfRequests(known.id)).filter((item) => item.detail.reason === 'throttled');
    for (let index = 0; index < 3; index++) expect((await ask(test, '198.51.100.31', known.email)).status).toBe(202);
    const refusedAt = test.clock.now().getTime();
    for (let index = 0; index < 12; index++) expect((await ask(test, '198.51.100.31', known.email)).status).toBe(429);
    expect(await throttled()).toEqual([
      expect.objectContaining({ outcome: 'failure', subjectId: known.id, detail: { reason: 'throttled', notAuditedUntil: new Date(refusedAt + 15 * MINUTE).toISOString() } }),
    ]);

    // The wait over, one request goes through and starts a new wait, whose first refusal is audited in turn.
    test.clock.advance(15 * MINUTE);
    expect((await ask(test, '198.51.100.31', known.email)).status).toBe(202);
    for (let index = 0; index < 5; index++) expect((await ask(test, '198.51.100.31', known.email)).status).toBe(429);
    expect(await throttled()).toHaveLength(2);
  });

  it('keeps a stranger spraying unknown emails from one address to one audit event per wait, not one per request', async () => {
    const throttledCount = async () => (await selfRequests()).filter((item) => item.detail.reason === 'throttled').length;
    const before = await throttledCount();
    // Ten requests an hour from one address, then one a minute.
    for (let index = 0; index < 10; index++) expect((await ask(test, '198.51.100.41', uniqueEmail('spray'))).status).toBe(202);
    for (let index = 0; index < 30; index++) expect((await ask(test, '198.51.100.41', uniqueEmail('spray'))).status).toBe(429);
    expect(await throttledCount()).toBe(before + 1);
    // The refused stranger is on record: the email as typed and the address.
    const [refusal] = (await selfRequests()).filter((item) => item.detail.reason === 'throttled');
    expect(refusal).toMatchObject({ outcome: 'failure', subjectId: null, detail: { email: expect.stringContaining('spray'), reason: 'throttled' } });

    test.clock.advance(MINUTE);
    expect((await ask(test, '198.51.100.41', uniqueEmail('spray'))).status).toBe(202);
    for (let index = 0; index < 10; index++) expect((await ask(test, '198.51.100.41', uniqueEmail('spray'))).status).toBe(429);
    expect(await throttledCount()).toBe(before + 2);
  });

  it('caps the mails one account gets from many addresses, and an admin unlock lifts the cap', async () => {
    const known = await createSignedInUser(test, { role: 'Viewer' });
    const answers: ApiResponse[] = [];
    for (let index = 0; index < 21; index++) answers.push(await ask(test, `198.51.101.${index + 1}`, known.email));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(20).fill(202), 429]);
    expect((await outboxOf(known.email)).filter((row) => row.kind === 'password_reset')).toHaveLength(20);
    expect((await test.admin.delete(`/api/v1/users/${known.id}/sign-in-lock`)).status).toBeLessThan(300);
    expect((await ask(test, '198.51.101.200', known.email)).status).toBe(202);
  });

  it('throttles per address, whatever emails it asks for, and the address alone', async () => {
    const answers: ApiResponse[] = [];
    for (let index = 0; index < 11; index++) answers.push(await ask(test, '203.0.113.7', uniqueEmail('sprayed')));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(10).fill(202), 429]);
    expect(answers[10]!.headers.get('retry-after')).toBe('60');
    expect(answers[10]!.body.error.code).toBe('PASSWORD_RESET_RATE_LIMITED');
    // A known account from that address is refused the same way; from another address it is not.
    const known = await createSignedInUser(test, { role: 'Viewer' });
    expect(seen(await ask(test, '203.0.113.7', known.email))).toEqual(seen(answers[10]!));
    expect((await ask(test, '203.0.113.8', known.email)).status).toBe(202);
    test.clock.advance(MINUTE);
    expect((await ask(test, '203.0.113.7', uniqueEmail('sprayed'))).status).toBe(202);
  });

  it('refuses a request from another site, and a body without an email names the field', async () => {
    const crossSite = await new ApiClient(test.url).request('POST', '/api/v1/auth/forgot-password', { email: uniqueEmail('x') }, { 'sec-fetch-site': 'cross-site', 'x-forwarded-for': '192.0.2.30' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe('ORIGIN_MISMATCH');
    const empty = await new ApiClient(test.url).request('POST', '/api/v1/auth/forgot-password', {}, { 'x-forwarded-for': '192.0.2.31' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.problems).toEqual([expect.objectContaining({ field: 'email' })]);
  });
});

describe.each(engines)('forgot password without SMTP on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine, { environment: behindProxy });
  });
  afterAll(() => test.close());

  it('refuses with a code saying mail is off, for known and unknown emails alike, and queues nothing', async () => {
    const known = await createSignedInUser(test, { role: 'Viewer' });
    const answers = [await ask(test, '192.0.2.40', known.email), await ask(test, '192.0.2.41', uniqueEmail('nobody'))];
    expect(answers[0]!.status).toBe(409);
    expect(answers[0]!.body.error).toEqual({ code: 'PASSWORD_RESET_BY_MAIL_OFF', message: expect.stringContaining('ask an administrator') });
    expect(seen(answers[1]!)).toEqual(seen(answers[0]!));
    expect(await test.server.database.db.selectFrom('mail_outbox').select('id').execute()).toEqual([]);
    expect(await test.server.database.db.selectFrom('one_time_links').select('id').where('user_id', '=', known.id).execute()).toEqual([]);
  });
});

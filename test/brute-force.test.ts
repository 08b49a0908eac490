import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestDatabase, type TestServer } from './support/harness.ts';
import { cookiesOf, enrol } from './support/two-factor.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// The server believes X-Forwarded-For from the loopback proxy, so tests can come from many addresses.
const behindProxy = { Sophon__Http__TrustProxy: '127.0.0.1' };

function from(test: TestServer, ip: string, cookie?: string) {
  return (body: unknown) => new ApiClient(test.url).request('POST', '/api/v1/auth/login', body, { 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) });
}

async function loginFailures(test: TestServer, userId: string): Promise<{ reason: string }[]> {
  const events = (await test.admin.get(`/api/v1/audit?user=${userId}&category=auth&limit=500`)).body.items as { action: string; detail: { reason: string } }[];
  return events.filter((event) => event.action === 'login.failed').map((event) => event.detail);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.each(engines)('brute-force protection on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine, { environment: behindProxy });
  });
  afterAll(() => test.close());

  it('200 wrong passwords from a script get nowhere, and the real user still gets in', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    // The user's own browser signed in before, so it carries the trusted-device cookie.
    const earlier = await from(test, '192.0.2.10')({ email: user.email, password: USER_PASSWORD });
    const device = cookiesOf(earlier).sophon_device;
    expect(device).toBeDefined();

    const script = from(test, '203.0.113.66');
    const answers: ApiResponse[] = [];
    for (let batch = 0; batch < 10; batch++) {
      // 20 at a time: parallel guesses are counted before they are checked, so none slips through.
      const guesses = Array.from({ length: 20 }, (_, index) => (batch * 20 + index === 150 ? USER_PASSWORD : `guess number ${batch * 20 + index}`));
      answers.push(...(await Promise.all(guesses.map((password) => script({ email: user.email, password })))));
    }
    expect(answers).toHaveLength(200);
    expect(new Set(answers.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`))).toEqual(
      new Set([`401 ${JSON.stringify({ error: { code: 'INVALID_CREDENTIALS', message: 'The email or password is incorrect, or the account cannot sign in.' } })}`]),
    );
    const failures = await loginFailures(test, user.id);
    expect(failures.filter((failure) => failure.reason === 'wrong password').length).toBeLessThanOrEqual(5);
    expect(failures.filter((failure) => failure.reason === 'throttled').length).toBeGreaterThanOrEqual(195);

    // The real user, from their own browser — even behind the attacker's address — is in at once.
    const fromBrowser = await from(test, '203.0.113.66', `sophon_device=${device}`)({ email: user.email, password: USER_PASSWORD });
    expect(fromBrowser.status).toBe(200);

    // On a new device, after another round of guessing, the account's wait is short and capped.
    for (let index = 0; index < 50; index++) await script({ email: user.email, password: `again ${index}` });
    const newDevice = from(test, '198.51.100.20');
    expect((await newDevice({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    test.clock.advance(30 * SECOND);
    expect((await newDevice({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    test.clock.advance(15 * MINUTE);
  });

  it('throttles one address guessing many accounts, without locking those accounts elsewhere', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const stuffer = from(test, '203.0.113.99');
    for (let index = 0; index < 10; index++) expect((await stuffer({ email: uniqueEmail('nobody'), password: 'password123456' })).status).toBe(401);
    // The address is waiting now: even a right password from it is refused…
    expect((await stuffer({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    // …while the account itself signs in from elsewhere.
    expect((await from(test, '198.51.100.30')({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    test.clock.advance(MINUTE);
    expect((await stuffer({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    test.clock.advance(15 * MINUTE);
  });

  it('answers an unknown email, a wrong password and a locked account alike, in about the same time', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const locked = await createSignedInUser(test, { role: 'Viewer' });
    for (let index = 0; index < 5; index++) await from(test, '198.51.100.40')({ email: locked.email, password: `wrong ${index}` });
    const timed = async (ip: string, body: { email: string; password: string }) => {
      const started = performance.now();
      const response = await from(test, ip)(body);
      return { response, took: performance.now() - started };
    };
    const samples = { wrong: [] as number[], unknown: [] as number[], locked: [] as number[] };
    const bodies = new Set<string>();
    for (let round = 0; round < 4; round++) {
      // Fresh addresses, so only the account lock is in play; the wrong-password account stays under its limit.
      const wrong = await timed(`198.51.101.${round}`, { email: user.email, password: `not it ${round}` });
      const unknown = await timed(`198.51.102.${round}`, { email: uniqueEmail('ghost'), password: `not it ${round}` });
      const lockedOut = await timed(`198.51.103.${round}`, { email: locked.email, password: USER_PASSWORD });
      for (const [kind, sample] of [['wrong', wrong], ['unknown', unknown], ['locked', lockedOut]] as const) {
        samples[kind].push(sample.took);
        bodies.add(`${sample.response.status} ${JSON.stringify(sample.response.body)}`);
      }
    }
    expect(bodies.size).toBe(1);
    // Each path does the same password-hashing work (a decoy hash when there's nothing real to check).
    for (const kind of ['unknown', 'locked'] as const) {
      expect(median(samples[kind])).toBeGreaterThan(median(samples.wrong) / 3);
      expect(median(samples[kind])).toBeLessThan(median(samples.wrong) * 3);
    }
    test.clock.advance(15 * MINUTE);
  });

  it('stops at 100 consecutive failures however slowly and widely they come, until a trusted device or an admin lifts it', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const device = cookiesOf(await from(test, '192.0.2.50')({ email: user.email, password: USER_PASSWORD })).sophon_device!;
    let evaluated = 0;
    for (let attempt = 0; attempt < 110; attempt++) {
      // A botnet: a new address every time, waiting out the account's wait (at most 5 minutes) between guesses.
      await from(test, `10.${Math.floor(attempt / 250)}.${attempt % 250}.1`)({ email: user.email, password: `botnet guess ${attempt}` });
      test.clock.advance(5 * MINUTE);
    }
    evaluated = (await loginFailures(test, user.id)).filter((failure) => failure.reason === 'wrong password').length;
    expect(evaluated).toBe(100);
    test.clock.advance(24 * 60 * MINUTE);
    expect((await from(test, '198.51.100.50')({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    const lock = await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`);
    expect(lock.body).toMatchObject({ state: 'locked', failures: 100 });

    // The owner's browser still gets in, and that success ends the run.
    expect((await from(test, '192.0.2.50', `sophon_device=${device}`)({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    expect((await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`)).body.state).toBe('open');
  });

  it('lets an admin lift a lock (ManageUsers), audited', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    for (let index = 0; index < 5; index++) await from(test, `198.51.100.${60 + index}`)({ email: user.email, password: `wrong ${index}` });
    expect((await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`)).body.state).toBe('waiting');
    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    expect((await viewer.client.delete(`/api/v1/users/${user.id}/sign-in-lock`)).body.error.missingPermission).toBe('ManageUsers');
    expect((await test.admin.delete(`/api/v1/users/${user.id}/sign-in-lock`)).body).toMatchObject({ state: 'open', failures: 0 });
    expect((await from(test, '198.51.100.70')({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    const events = (await test.admin.get(`/api/v1/audit?user=${user.id}&category=auth`)).body.items;
    expect(events.some((event: { action: string }) => event.action === 'login.unlocked')).toBe(true);
  });

  it('throttles wrong TOTP codes on the account too', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const { app } = await enrol(test, user.client, USER_PASSWORD);
    test.clock.advance(30 * SECOND);
    const attacker = new ApiClient(test.url);
    const headers = { 'x-forwarded-for': '203.0.113.120' };
    const login = () => attacker.request('POST', '/api/v1/auth/login', { email: user.email, password: USER_PASSWORD }, headers);
    const first = await login();
    expect(first.body.twoFactorRequired).toBe(true);
    for (let guess = 0; guess < 5; guess++) {
      const wrong = await attacker.request('POST', '/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: String(100000 + guess) }, headers);
      expect(wrong.body.error.code).toBe('TWO_FACTOR_CODE_INVALID');
    }
    // Five wrong codes: the account waits, so even the right password gets the generic refusal now…
    expect((await login()).body.error.code).toBe('INVALID_CREDENTIALS');
    // …and after the wait, the owner's code works.
    test.clock.advance(30 * SECOND);
    const next = await login();
    const right = await attacker.request('POST', '/api/v1/auth/login/two-factor', { challenge: next.body.challenge, code: app.codeAt(test.clock.now().getTime()) }, headers);
    expect(right.status).toBe(200);
    const events = (await test.admin.get(`/api/v1/audit?user=${user.id}&category=auth&limit=500`)).body.items;
    const text = JSON.stringify(events);
    expect(text).not.toContain(USER_PASSWORD);
    expect(text).not.toContain('guess number');
    expect(events.filter((event: { action: string }) => event.action === 'login.two_factor_failed').length).toBe(5);
    test.clock.advance(15 * MINUTE);
  });

  it('never refuses a right password because other sign-ins of the account are in flight', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const browser = from(test, '198.51.104.1');
    for (let round = 0; round < 10; round++) {
      // Eight at once: more than the account's five free failures, fewer than the address's ten.
      const answers = await Promise.all(Array.from({ length: 8 }, () => browser({ email: user.email, password: USER_PASSWORD })));
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    }
    expect(await loginFailures(test, user.id)).toEqual([]);
    expect((await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`)).body).toMatchObject({ state: 'open', failures: 0 });
  });

  it('counts parallel wrong passwords exactly and checks no more of them than the limit allows', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    // A new address for every guess, so only the account's counter (5 failures, then 30 s) is in play.
    const guess = (label: string, index: number) => from(test, `198.51.105.${index}`)({ email: user.email, password: `${label} ${index}` });
    await Promise.all(Array.from({ length: 4 }, (_, index) => guess('first', index)));
    expect((await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`)).body).toMatchObject({ state: 'open', failures: 4 });

    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => guess('second', 10 + index)));
    expect(answers.every((answer) => answer.body.error?.code === 'INVALID_CREDENTIALS')).toBe(true);
    expect((await test.admin.get(`/api/v1/users/${user.id}/sign-in-lock`)).body).toMatchObject({ state: 'waiting', failures: 5 });
    const reasons = (await loginFailures(test, user.id)).map((failure) => failure.reason);
    expect(reasons.filter((reason) => reason === 'wrong password')).toHaveLength(5);
    expect(reasons.filter((reason) => reason === 'throttled')).toHaveLength(7);
    // Locked: the right password waits like everyone else.
    expect((await from(test, '198.51.105.200')({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    test.clock.advance(30 * SECOND);
    expect((await from(test, '198.51.105.201')({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
    test.clock.advance(15 * MINUTE);
  });

  it('writes every attempt to the audit log without the password', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    await from(test, '198.51.100.80')({ email: user.email, password: 'a secret guess 42' });
    const failures = await loginFailures(test, user.id);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: 'wrong password', email: user.email });
    expect(JSON.stringify((await test.admin.get('/api/v1/audit?category=auth&limit=500')).body)).not.toContain('a secret guess 42');
  });
});

describe('brute-force limits across two server nodes sharing PostgreSQL', () => {
  let database: TestDatabase;
  let nodeA: TestServer;
  let nodeB: TestServer;
  const advanceBoth = (milliseconds: number) => {
    nodeA.clock.advance(milliseconds);
    nodeB.clock.advance(milliseconds);
  };
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    nodeA = await startTestServer('postgres', { database, environment: behindProxy });
    nodeB = await startTestServer('postgres', { database, environment: behindProxy });
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await database?.drop();
  });

  it('counts guesses sent to both nodes at once against one limit', async () => {
    const user = await createSignedInUser(nodeA, { role: 'Viewer' });
    const guesses = Array.from({ length: 40 }, (_, index) => from(index % 2 === 0 ? nodeA : nodeB, '203.0.113.200')({ email: user.email, password: `guess ${index}` }));
    const answers = await Promise.all(guesses);
    expect(answers.every((answer) => answer.status === 401)).toBe(true);
    // Exactly the account's five free failures were checked; the other 35 were refused unchecked.
    expect((await loginFailures(nodeA, user.id)).filter((failure) => failure.reason === 'wrong password').length).toBe(5);
    // Locked on both nodes, for the right password too, until the wait is over.
    expect((await from(nodeB, '198.51.100.90')({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    expect((await from(nodeA, '198.51.100.91')({ email: user.email, password: USER_PASSWORD })).status).toBe(401);
    advanceBoth(30 * SECOND);
    expect((await from(nodeB, '198.51.100.90')({ email: user.email, password: USER_PASSWORD })).status).toBe(200);
  });

  it('lets parallel right-password sign-ins on both nodes all in', async () => {
    const user = await createSignedInUser(nodeA, { role: 'Viewer' });
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => from(index % 2 === 0 ? nodeA : nodeB, '198.51.106.1')({ email: user.email, password: USER_PASSWORD })));
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    }
  });

  it('accepts a TOTP code on one node only, however fast it is replayed on the other', async () => {
    const user = await createSignedInUser(nodeA, { role: 'Viewer' });
    const { app } = await enrol(nodeA, user.client, USER_PASSWORD);
    advanceBoth(30 * SECOND);
    const [onA, onB] = await Promise.all(
      [nodeA, nodeB].map((node) => new ApiClient(node.url).post('/api/v1/auth/login', { email: user.email, password: USER_PASSWORD })),
    );
    expect([onA!.body.twoFactorRequired, onB!.body.twoFactorRequired]).toEqual([true, true]);
    const code = app.codeAt(nodeA.clock.now().getTime());
    const results = await Promise.all([
      new ApiClient(nodeA.url).post('/api/v1/auth/login/two-factor', { challenge: onA!.body.challenge, code }),
      new ApiClient(nodeB.url).post('/api/v1/auth/login/two-factor', { challenge: onB!.body.challenge, code }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 401]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppSettings } from '../src/config/config.ts';
import { ApiClient, type ApiResponse } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from './support/harness.ts';
import { sessionClient } from './support/two-factor.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** The Max-Age of a cookie a response set, in seconds. */
function maxAgeOf(response: ApiResponse, name: string): number | undefined {
  const line = response.headers.getSetCookie().find((entry) => entry.startsWith(`${name}=`));
  const match = line && /Max-Age=(\d+)/i.exec(line);
  return match ? Number(match[1]) : undefined;
}

async function signIn(test: TestServer, email: string, userAgent?: string) {
  const response = await new ApiClient(test.url).request('POST', '/api/v1/auth/login', { email, password: USER_PASSWORD }, userAgent ? { 'user-agent': userAgent } : {});
  expect(response.status).toBe(200);
  return { response, client: sessionClient(test.url, response) };
}

describe.each(engines)('session lifetime per tenant on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    // acme's idle timeout comes from appsettings.json, exactly as the seed writes the global one.
    test = await startTestServer(engine, { environment: { Sophon__Auth__Tenants__acme__IdleTimeout: '01:00:00' } });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
  });
  afterAll(() => test.close());

  it('logs a tenant with a 1-hour idle timeout out after an hour of silence, and others keep the default', async () => {
    const acme = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const home = await createSignedInUser(test, { role: 'Viewer' });
    const settings = await test.admin.get('/api/v1/tenants/acme/settings/authentication');
    expect(settings.body.effective).toMatchObject({ idleTimeout: '01:00:00', absoluteTimeout: '7.00:00:00', sources: { idleTimeout: 'tenant appsettings', absoluteTimeout: 'appsettings' } });

    test.clock.advance(59 * MINUTE);
    expect((await acme.client.get('/api/v1/me')).status).toBe(200);
    test.clock.advance(59 * MINUTE);
    expect((await acme.client.get('/api/v1/me')).status).toBe(200);
    test.clock.advance(HOUR);
    const expired = await acme.client.get('/api/v1/me');
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('SESSION_EXPIRED');
    // The expired cookie is cleared.
    expect(expired.headers.getSetCookie().some((line) => /^sophon_session=;/.test(line))).toBe(true);
    expect((await home.client.get('/api/v1/me')).status).toBe(200);
  });

  it('takes the absolute timeout from the tenant settings API and ends a busy session at it', async () => {
    const set = await test.admin.put('/api/v1/tenants/globex/settings/authentication', { absoluteTimeout: '02:00:00' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ overrides: { absoluteTimeout: '02:00:00', idleTimeout: null }, effective: { absoluteTimeout: '02:00:00', idleTimeout: '08:00:00' } });
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: 'globex' });
    const { response, client } = await signIn(test, user.email);
    expect(maxAgeOf(response, 'sophon_session')).toBe(2 * 3600);
    for (let elapsed = 0; elapsed < 100; elapsed += 50) {
      test.clock.advance(50 * MINUTE);
      expect((await client.get('/api/v1/me')).status).toBe(200);
    }
    test.clock.advance(20 * MINUTE);
    expect((await client.get('/api/v1/me')).body.error.code).toBe('SESSION_EXPIRED');
  });

  it('applies a shorter idle timeout to open sessions at once', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: 'globex' });
    test.clock.advance(20 * MINUTE);
    expect((await user.client.get('/api/v1/me')).status).toBe(200);
    expect((await test.admin.put('/api/v1/tenants/globex/settings/authentication', { idleTimeout: '00:15:00' })).body.effective.idleTimeout).toBe('00:15:00');
    test.clock.advance(16 * MINUTE);
    expect((await user.client.get('/api/v1/me')).body.error.code).toBe('SESSION_EXPIRED');
    expect((await test.admin.put('/api/v1/tenants/globex/settings/authentication', { idleTimeout: null, absoluteTimeout: null })).body.overrides).toEqual({
      requireTwoFactor: null,
      idleTimeout: null,
      absoluteTimeout: null,
    });
  });

  it('never lets the cookie outlive the session: it slides with the idle deadline', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const { response, client } = await signIn(test, user.email);
    expect(maxAgeOf(response, 'sophon_session')).toBe(3600);
    expect(maxAgeOf(response, 'sophon_csrf')).toBe(3600);
    expect(response.body.session.idleExpiresAt).toBe(new Date(test.clock.now().getTime() + HOUR).toISOString());
    test.clock.advance(30 * MINUTE);
    const touched = await client.get('/api/v1/me');
    expect(maxAgeOf(touched, 'sophon_session')).toBe(3600);
    // Within a minute of the last recorded activity nothing is re-sent.
    expect(maxAgeOf(await client.get('/api/v1/me'), 'sophon_session')).toBeUndefined();
  });

  it('follows the user\'s home tenant when they act in another', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    expect((await test.admin.inTenant('globex').put(`/api/v1/users/${user.id}/role`, { role: 'Viewer' })).status).toBe(200);
    test.clock.advance(61 * MINUTE);
    expect((await user.client.inTenant('globex').get('/api/v1/me')).body.error.code).toBe('SESSION_EXPIRED');
  });

  it('refuses bad timeouts, and needs ManageTenants (installation-wide) to change them', async () => {
    const bad = await test.admin.put('/api/v1/tenants/acme/settings/authentication', { idleTimeout: '25:00:00' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('TIMESPAN_INVALID');
    expect((await test.admin.put('/api/v1/tenants/acme/settings/authentication', { idleTimeout: '00:00:10' })).body.error.code).toBe('TIMEOUT_OUT_OF_RANGE');
    expect((await test.admin.get('/api/v1/tenants/nowhere/settings/authentication')).status).toBe(404);
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    const denied = await acmeAdmin.client.put('/api/v1/tenants/acme/settings/authentication', { idleTimeout: '12:00:00' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.missingPermission).toBe('ManageTenants');
  });
});

describe.each(engines)('sessions record where they come from on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it('lists device, address, created and last seen', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const { client } = await signIn(test, user.email, FIREFOX_ON_WINDOWS);
    const createdAt = test.clock.now().toISOString();
    test.clock.advance(5 * MINUTE);
    const listed = await client.get('/api/v1/me/sessions');
    const current = listed.body.items.find((session: { current: boolean }) => session.current);
    expect(current).toMatchObject({ device: 'Firefox on Windows', ip: '127.0.0.1', userAgent: FIREFOX_ON_WINDOWS, createdAt, lastSeenAt: test.clock.now().toISOString() });
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
  });

  it('leaves idle-expired sessions out of the list', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    await signIn(test, user.email);
    test.clock.advance(7 * HOUR);
    expect((await user.client.get('/api/v1/me/sessions')).status).toBe(200);
    test.clock.advance(2 * HOUR);
    // The second session, unused for 9 hours, is past the 8-hour idle timeout.
    const listed = await user.client.get('/api/v1/me/sessions');
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].current).toBe(true);
  });
});

describe.each(engines)('one deadline for every reader of a session on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it('drops a session past its idle deadline from every list, as its next request answers 401', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const idle = await signIn(test, user.email, FIREFOX_ON_WINDOWS);
    const idleId = idle.response.body.session.id as string;
    const listedIds = async () => {
      const [own, activity] = await Promise.all([user.client.get('/api/v1/me/sessions'), test.admin.get(`/api/v1/users/${user.id}/activity`)]);
      expect(own.status).toBe(200);
      expect(activity.status).toBe(200);
      return { own: own.body.items.map((session: { id: string }) => session.id), activity: activity.body.sessions.map((session: { id: string }) => session.id) };
    };
    expect(await listedIds()).toEqual({ own: expect.arrayContaining([idleId]), activity: expect.arrayContaining([idleId]) });

    // The other session is used at 7 hours; this one is not, and is past the 8-hour idle timeout at 9.
    test.clock.advance(7 * HOUR);
    expect((await user.client.get('/api/v1/me')).status).toBe(200);
    test.clock.advance(2 * HOUR);
    const lists = await listedIds();
    expect(lists.own).not.toContain(idleId);
    expect(lists.activity).not.toContain(idleId);
    // The lists left it out before any request ended it; the request agrees.
    const refused = await idle.client.get('/api/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('SESSION_EXPIRED');

    // What is listed carries the deadlines the request check applies.
    const current = (await test.admin.get(`/api/v1/users/${user.id}/activity`)).body.sessions[0];
    expect(current).toMatchObject({ idleExpiresAt: new Date(Date.parse(current.lastSeenAt) + 8 * HOUR).toISOString() });
  });
});

describe('session and 2FA settings in appsettings.json', () => {
  it('reads per-tenant overrides and Require 2FA, and refuses what it does not know', () => {
    const settings = loadAppSettings(
      { Sophon__Auth__Tenants__ACME__IdleTimeout: '01:00:00', Sophon__Auth__Tenants__acme__RequireTwoFactor: 'true', Sophon__Auth__RequireTwoFactor: 'false' },
      '/nonexistent',
    );
    expect(settings.Sophon.Auth.Tenants.acme).toEqual({ IdleTimeout: HOUR, RequireTwoFactor: true });
    expect(settings.Sophon.Auth.BruteForce.PerAccount.MaxConsecutiveFailures).toBe(100);
    expect(() => loadAppSettings({ Sophon__Auth__Tenants__acme__IdleTimeout: '1 hour' }, '/nonexistent')).toThrow(/Tenants:acme:IdleTimeout/);
    expect(() => loadAppSettings({ Sophon__Auth__BruteForce__PerAccount__MaxConsecutiveFailures: '500' }, '/nonexistent')).toThrow(/MaxConsecutiveFailures/);
    expect(() => loadAppSettings({ Sophon__Auth__TwoFactor__EncryptionKey: 'c2hvcnQ=' }, '/nonexistent')).toThrow(/32 random bytes/);
  });
});

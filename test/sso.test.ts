import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadAppSettings } from '../src/config/config.ts';
import { ApiClient } from './support/api-client.ts';
import { ADMIN_EMAIL, createTestDatabase, engines, startTestServer, uniqueEmail, type TestDatabase, type TestServer } from './support/harness.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from './support/oidc-provider.ts';
import { RedirectBrowser } from './support/redirect-browser.ts';

/**
 * Single sign-on against a real OpenID Provider (oidc-provider on 127.0.0.1), over the real
 * HTTP server on both engines: the whole redirect chain is walked with fetch, cookies carried
 * by hand, as a browser would.
 */

const MINUTE = 60_000;
const COMPLIANCE_AUDITOR = ['ViewUsers', 'ViewAuditLogs', 'ExportAuditLogs', 'ManageCompliance', 'ViewSystemHealth', 'ViewLicense'];

interface SignIn {
  browser: RedirectBrowser;
  /** Where Sophon sent the browser at the end: "/" or "/login?ssoError=…". */
  location: string;
  /** The signed-in caller, when it worked. */
  client: ApiClient | undefined;
}

/** Sophon → the provider's login page → signs `sub` in there → stops at Sophon's callback, not yet visited. */
async function signInAtProvider(test: TestServer, sub: string, browser = new RedirectBrowser(), answer: 'login' | 'abort' = 'login'): Promise<{ browser: RedirectBrowser; callback: URL }> {
  const toLogin = await browser.follow(`${test.url}/api/v1/auth/sso`, (next) => next.pathname.startsWith('/interaction/'));
  const loginPage = toLogin.next;
  if (!loginPage) throw new Error(`no login page: ${toLogin.response.status} ${await toLogin.response.text()}`);
  expect((await browser.request(loginPage)).status).toBe(200);
  const posted = await browser.request(new URL(`${loginPage.pathname}/${answer}`, loginPage), { form: { account: sub } });
  const resume = posted.headers.get('location');
  if (!resume) throw new Error(`the provider did not accept the login: ${posted.status} ${await posted.text()}`);
  const back = await browser.follow(new URL(resume, loginPage), (next) => next.origin === new URL(test.url).origin);
  if (!back.next) throw new Error(`the provider did not send the browser back: ${back.response.status} ${await back.response.text()}`);
  return { browser, callback: back.next };
}

/** Visits the callback: Sophon answers 302 to the dashboard or to its sign-in page. */
async function visitCallback(test: TestServer, browser: RedirectBrowser, callback: URL): Promise<SignIn> {
  const response = await browser.request(callback);
  expect(response.status).toBe(302);
  const location = response.headers.get('location')!;
  const session = browser.cookie(test.url, 'sophon_session');
  const client = location === '/' && session ? new ApiClient(test.url, { cookie: `sophon_session=${session}`, csrf: browser.cookie(test.url, 'sophon_csrf') }) : undefined;
  return { browser, location, client };
}

async function ssoSignIn(test: TestServer, sub: string): Promise<SignIn> {
  const { browser, callback } = await signInAtProvider(test, sub);
  return visitCallback(test, browser, callback);
}

async function auditEvents(client: ApiClient, category: string, subjectId?: string) {
  const response = await client.get(`/api/v1/audit?category=${category}&limit=200`);
  expect(response.status).toBe(200);
  return (response.body.items as { action: string; subjectId: string | null; outcome: string; diff: any; detail: any; actorId: string | null }[]).filter(
    (event) => subjectId === undefined || event.subjectId === subjectId,
  );
}

async function findUser(test: TestServer, email: string) {
  const response = await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`);
  expect(response.status).toBe(200);
  return response.body.items as { id: string; email: string; role: string | null }[];
}

describe('Sophon:Auth:Sso settings', () => {
  const failure = (environment: Record<string, string>) => {
    try {
      loadAppSettings(environment, '/nonexistent-sophon-dir');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };
  const enabled = { Sophon__Auth__Sso__Enabled: 'true', Sophon__Auth__Sso__ClientId: 'sophon' };

  it('is off by default, with the documented defaults', () => {
    expect(loadAppSettings({}, '/nonexistent-sophon-dir').Sophon.Auth.Sso).toMatchObject({
      Enabled: false,
      Scopes: 'openid email profile',
      GroupClaim: 'groups',
      RoleMappings: {},
      Tenant: 'default',
      AutoCreateUsers: true,
      SessionEndsWithIdToken: true,
    });
  });

  it('names the key of an Issuer that is not a URL', () => {
    expect(failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'login.example.com' })).toMatch(/Sophon:Auth:Sso:Issuer: "login\.example\.com" is not a URL/);
  });

  it('refuses a plain-http Issuer unless it is on a loopback address', () => {
    expect(failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'http://login.example.com' })).toMatch(/Sophon:Auth:Sso:Issuer: .*must be an https:\/\/ URL/);
    expect(loadAppSettings({ ...enabled, Sophon__Auth__Sso__Issuer: 'http://127.0.0.1:8081' }, '/nonexistent-sophon-dir').Sophon.Auth.Sso.Issuer).toBe('http://127.0.0.1:8081');
  });

  it('requires the Issuer and the ClientId once enabled, naming both', () => {
    const message = failure({ Sophon__Auth__Sso__Enabled: 'true' });
    expect(message).toContain('Sophon:Auth:Sso:Issuer: is required');
    expect(message).toContain('Sophon:Auth:Sso:ClientId: is required');
  });

  it('names bad scopes, role names and tenants, and unknown keys', () => {
    const message = failure({
      ...enabled,
      Sophon__Auth__Sso__Issuer: 'https://login.example.com',
      Sophon__Auth__Sso__Scopes: 'email profile',
      Sophon__Auth__Sso__DefaultRole: 'not/a role',
      Sophon__Auth__Sso__Tenant: 'not a slug',
      Sophon__Auth__Sso__ClientSecrt: 'typo',
    });
    expect(message).toContain('Sophon:Auth:Sso:Scopes: must include "openid"');
    expect(message).toContain('Sophon:Auth:Sso:DefaultRole: must be a role name');
    expect(message).toContain('Sophon:Auth:Sso:Tenant: must be a tenant slug');
    expect(message).toMatch(/Sophon:Auth:Sso:ClientSecrt: unknown setting/);
  });

  it('keeps the order of RoleMappings as written, and refuses numeric group names whose order JavaScript would change', () => {
    const settings = loadAppSettings(
      { ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', 'Sophon__Auth__Sso__RoleMappings__b-team': 'Viewer', 'Sophon__Auth__Sso__RoleMappings__a-team': 'Admin' },
      '/nonexistent-sophon-dir',
    );
    expect(Object.keys(settings.Sophon.Auth.Sso.RoleMappings)).toEqual(['b-team', 'a-team']);
    expect(failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', Sophon__Auth__Sso__RoleMappings__42: 'Admin' })).toContain('Sophon:Auth:Sso:RoleMappings:42');
  });
});

describe.each(engines)('single sign-on with group-to-role mapping on %s', (engine) => {
  let idp: TestIdentityProvider;
  let database: TestDatabase;
  let test: TestServer;
  const ID_TOKEN_TTL_SECONDS = 30 * 60;

  beforeAll(async () => {
    idp = await startTestIdentityProvider({ idTokenTtl: ID_TOKEN_TTL_SECONDS });
    database = await createTestDatabase(engine);
    // The seed's shape, in appsettings.json: the order of RoleMappings is the order of evaluation.
    const settings = {
      Sophon: {
        Auth: {
          Sso: {
            Enabled: true,
            Issuer: idp.issuer,
            ClientId: idp.clientId,
            ClientSecret: idp.clientSecret,
            Scopes: 'openid email profile groups',
            GroupClaim: 'groups',
            RoleMappings: { 'sophon-admins': 'Admin', 'sophon-auditors': 'compliance-auditor', 'legacy-team': 'retired-role' },
            ButtonLabel: 'Sign in with Acme SSO',
          },
        },
      },
    };
    writeFileSync(path.join(database.dataDir, 'appsettings.json'), JSON.stringify(settings));
    test = await startTestServer(engine, { database });
    idp.register(`${test.url}/api/v1/auth/sso/callback`);
    expect((await test.admin.post('/api/v1/roles', { name: 'compliance-auditor', permissions: COMPLIANCE_AUDITOR })).status).toBe(201);
  });
  afterAll(async () => {
    await test?.close();
    await database?.drop();
    await idp?.close();
  });

  // First in this suite, while the bootstrap Admin is still the only Admin of default.
  it('never demotes the last Admin of default through a mapping: the change is skipped and recorded', async () => {
    idp.setAccount({ sub: 'bootstrap-admin', email: ADMIN_EMAIL, groups: ['sophon-auditors'] });
    const signIn = await ssoSignIn(test, 'bootstrap-admin');
    expect(signIn.location).toBe('/');
    const me = await signIn.client!.get('/api/v1/me');
    expect(me.body.tenant.role).toBe('Admin');
    const [skipped] = await auditEvents(test.admin, 'rbac', me.body.user.id);
    expect(skipped).toMatchObject({ action: 'role.assignment_skipped', outcome: 'failure', diff: { before: { role: 'Admin' }, after: { role: 'compliance-auditor' } }, detail: { reason: 'LAST_ADMIN' } });
  });

  it('tells the dashboard that SSO is on, with its button label', async () => {
    const response = await test.anonymous.get('/api/v1/auth/sso/config');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ enabled: true, buttonLabel: 'Sign in with Acme SSO', loginUrl: '/api/v1/auth/sso' });
  });

  it('sends the browser to the provider with PKCE, state and nonce, the state bound to the browser by a cookie', async () => {
    const response = await fetch(`${test.url}/api/v1/auth/sso`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(idp.issuer);
    const query = location.searchParams;
    expect(query.get('response_type')).toBe('code');
    expect(query.get('client_id')).toBe(idp.clientId);
    expect(query.get('redirect_uri')).toBe(`${test.url}/api/v1/auth/sso/callback`);
    expect(query.get('scope')).toBe('openid email profile groups');
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(query.get('nonce')).toBeTruthy();
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('sophon_sso_state='))!;
    expect(cookie).toContain(`sophon_sso_state=${query.get('state')}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/api\/v1\/auth\/sso/);
  });

  it('warned at start about mapped roles that did not exist', () => {
    const printed = test.printed.join('\n');
    expect(printed).toContain(`register the redirect URI ${test.url}/api/v1/auth/sso/callback`);
    expect(printed).toContain('Sophon:Auth:Sso:RoleMappings:legacy-team names the role "retired-role", which does not exist in tenant "default"');
    expect(printed).toContain('Sophon:Auth:Sso:RoleMappings:sophon-auditors names the role "compliance-auditor"');
  });

  it('creates the user at the first sign-in with the role of the first mapping that matches, in the order written', async () => {
    const email = uniqueEmail('first');
    // The provider lists the auditors' group first; the mappings list the admins' first, and that decides.
    idp.setAccount({ sub: 'first-login', email, name: 'First Login', groups: ['staff', 'sophon-auditors', 'sophon-admins'] });
    const signIn = await ssoSignIn(test, 'first-login');
    expect(signIn.location).toBe('/');

    const me = await signIn.client!.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email, displayName: 'First Login', mustChangePassword: false });
    expect(me.body.tenant).toMatchObject({ slug: 'default', role: 'Admin' });

    const userId = me.body.user.id as string;
    expect((await auditEvents(test.admin, 'users', userId)).map((event) => event.action)).toEqual(expect.arrayContaining(['user.created', 'identity.linked']));
    const [assigned] = await auditEvents(test.admin, 'rbac', userId);
    expect(assigned).toMatchObject({ action: 'role.assigned', diff: { before: null, after: { role: 'Admin' } }, detail: { via: 'sso', group: 'sophon-admins' } });
    const login = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.succeeded' && event.detail?.subject === 'first-login');
    expect(login).toMatchObject({ actorId: userId, detail: { method: 'sso', issuer: idp.issuer, role: 'Admin', tenant: 'default' } });

    // No usable password: password sign-in answers like any wrong password.
    expect((await test.anonymous.post('/api/v1/auth/login', { email, password: 'any password at all' })).body.error.code).toBe('INVALID_CREDENTIALS');
    expect(me.body.hasPassword).toBe(false);
    // The user's page shows the provider account that signs in as them.
    const activity = await test.admin.get(`/api/v1/users/${userId}/activity`);
    expect(activity.body).toMatchObject({ hasPassword: false, identities: [{ issuer: idp.issuer, subject: 'first-login' }] });
    expect(Date.parse(activity.body.identities[0].lastLoginAt)).not.toBeNaN();
  });

  it('sets the session cookie and the CSRF token as a password sign-in does, and writes need the token', async () => {
    idp.setAccount({ sub: 'csrf-user', email: uniqueEmail('csrf'), groups: ['sophon-admins'] });
    const signIn = await ssoSignIn(test, 'csrf-user');
    const csrf = signIn.browser.cookie(test.url, 'sophon_csrf');
    expect(csrf).toBeTruthy();
    const withoutToken = new ApiClient(test.url, { cookie: signIn.client!.credential.cookie });
    expect((await withoutToken.post('/api/v1/me/tokens', { name: 'x' })).body.error.code).toBe('CSRF_TOKEN_INVALID');
    expect((await signIn.client!.post('/api/v1/me/tokens', { name: 'from sso' })).status).toBe(201);
    expect((await signIn.client!.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await signIn.client!.get('/api/v1/me')).body.error.code).toBe('SESSION_INVALID');
  });

  it('changes the role at a later sign-in when the groups changed, and the rbac trail shows it', async () => {
    const email = uniqueEmail('mover');
    idp.setAccount({ sub: 'mover', email, groups: ['sophon-admins'] });
    const first = await ssoSignIn(test, 'mover');
    const userId = (await first.client!.get('/api/v1/me')).body.user.id as string;

    idp.setAccount({ sub: 'mover', email, groups: ['sophon-auditors'] });
    const second = await ssoSignIn(test, 'mover');
    expect((await second.client!.get('/api/v1/me')).body.tenant.role).toBe('compliance-auditor');
    const [latest] = await auditEvents(test.admin, 'rbac', userId);
    expect(latest).toMatchObject({ action: 'role.assigned', diff: { before: { role: 'Admin' }, after: { role: 'compliance-auditor' } }, detail: { via: 'sso', group: 'sophon-auditors' } });

    // The same groups again: the role stands, and nothing is written to the rbac trail.
    const before = (await auditEvents(test.admin, 'rbac', userId)).length;
    expect((await ssoSignIn(test, 'mover')).location).toBe('/');
    expect(await auditEvents(test.admin, 'rbac', userId)).toHaveLength(before);
    expect(await findUser(test, email)).toHaveLength(1);
  });

  it('refuses a sign-in that no mapping matches when there is no DefaultRole, and creates nothing', async () => {
    const email = uniqueEmail('unmapped');
    idp.setAccount({ sub: 'unmapped', email, groups: ['staff', 'Sophon-Admins'] });
    const signIn = await ssoSignIn(test, 'unmapped');
    expect(signIn.location).toBe('/login?ssoError=SSO_NO_ROLE_MAPPING');
    expect(signIn.browser.cookie(test.url, 'sophon_session')).toBeUndefined();
    expect(await findUser(test, email)).toEqual([]);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.email === email);
    expect(refusal).toMatchObject({ outcome: 'failure', detail: { method: 'sso', reason: 'SSO_NO_ROLE_MAPPING', subject: 'unmapped' } });
  });

  it('refuses a sign-in mapped to a role that does not exist, with a clear code, audited', async () => {
    const email = uniqueEmail('legacy');
    idp.setAccount({ sub: 'legacy', email, groups: ['legacy-team'] });
    const signIn = await ssoSignIn(test, 'legacy');
    expect(signIn.location).toBe('/login?ssoError=SSO_ROLE_UNKNOWN');
    expect(await findUser(test, email)).toEqual([]);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.email === email);
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_ROLE_UNKNOWN' });
    expect(refusal?.detail.message).toContain('Sophon:Auth:Sso:RoleMappings:legacy-team names the role "retired-role"');
  });

  it("sends the browser back to the sign-in page when the provider refuses, and records the provider's reason", async () => {
    idp.setAccount({ sub: 'cancels', email: uniqueEmail('cancels'), groups: ['sophon-admins'] });
    const { browser, callback } = await signInAtProvider(test, 'cancels', new RedirectBrowser(), 'abort');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const signIn = await visitCallback(test, browser, callback);
    expect(signIn.location).toBe('/login?ssoError=SSO_PROVIDER_ERROR');
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.reason === 'SSO_PROVIDER_ERROR');
    expect(refusal?.detail.message).toContain('access_denied (the user cancelled the sign-in)');
  });

  it('refuses a callback whose state was tampered with', async () => {
    idp.setAccount({ sub: 'tamper', email: uniqueEmail('tamper'), groups: ['sophon-admins'] });
    const { browser, callback } = await signInAtProvider(test, 'tamper');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const signIn = await visitCallback(test, browser, tampered);
    expect(signIn.location).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(signIn.client).toBeUndefined();
  });

  it('refuses a callback in a browser that did not start the sign-in (login CSRF)', async () => {
    idp.setAccount({ sub: 'victim', email: uniqueEmail('victim'), groups: ['sophon-admins'] });
    const { callback } = await signInAtProvider(test, 'victim');
    const signIn = await visitCallback(test, new RedirectBrowser(), callback);
    expect(signIn.location).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(signIn.client).toBeUndefined();
  });

  it('refuses a replayed callback, even with the state cookie put back', async () => {
    idp.setAccount({ sub: 'replay', email: uniqueEmail('replay'), groups: ['sophon-admins'] });
    const { browser, callback } = await signInAtProvider(test, 'replay');
    const state = browser.cookie(test.url, 'sophon_sso_state')!;
    expect((await visitCallback(test, browser, callback)).location).toBe('/');
    expect(browser.cookie(test.url, 'sophon_sso_state')).toBeUndefined();

    const again = new RedirectBrowser();
    again.setCookie(test.url, 'sophon_sso_state', state);
    const replayed = await visitCallback(test, again, callback);
    expect(replayed.location).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(replayed.client).toBeUndefined();
  });

  it('refuses a suspended user', async () => {
    const email = uniqueEmail('suspended');
    idp.setAccount({ sub: 'suspended', email, groups: ['sophon-auditors'] });
    expect((await ssoSignIn(test, 'suspended')).location).toBe('/');
    const [user] = await findUser(test, email);
    expect((await test.admin.post(`/api/v1/users/${user!.id}/suspend`)).status).toBe(200);
    const signIn = await ssoSignIn(test, 'suspended');
    expect(signIn.location).toBe('/login?ssoError=ACCOUNT_SUSPENDED');
    expect(signIn.client).toBeUndefined();
    const refusal = (await auditEvents(test.admin, 'auth', user!.id)).find((event) => event.action === 'login.failed');
    expect(refusal?.detail).toMatchObject({ method: 'sso', reason: 'ACCOUNT_SUSPENDED' });
  });

  it('links an existing password user with the same verified email instead of creating another', async () => {
    const email = uniqueEmail('existing');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Existing User', role: 'Viewer', password: 'initial password 123' });
    expect(created.status).toBe(201);
    const userId = created.body.user.id as string;

    idp.setAccount({ sub: 'existing', email: email.toUpperCase(), groups: ['sophon-auditors'] });
    const signIn = await ssoSignIn(test, 'existing');
    expect(signIn.location).toBe('/');
    const me = await signIn.client!.get('/api/v1/me');
    expect(me.body.user.id).toBe(userId);
    expect(me.body.tenant.role).toBe('compliance-auditor');
    expect(await findUser(test, email)).toHaveLength(1);
    const linked = (await auditEvents(test.admin, 'users', userId)).find((event) => event.action === 'identity.linked');
    expect(linked).toMatchObject({ diff: { after: { issuer: idp.issuer, subject: 'existing' } }, detail: { matchedBy: 'verified email' } });

    // Linked by (issuer, subject) from now on: a new email at the provider still reaches the same account.
    idp.setAccount({ sub: 'existing', email: uniqueEmail('renamed'), groups: ['sophon-auditors'] });
    expect((await (await ssoSignIn(test, 'existing')).client!.get('/api/v1/me')).body.user.id).toBe(userId);
    // The password still works.
    expect((await test.login(email, 'initial password 123')).response.status).toBe(200);
    expect((await test.admin.get(`/api/v1/users/${userId}/activity`)).body).toMatchObject({ hasPassword: true, identities: [{ subject: 'existing' }] });
  });

  it('neither links nor creates by an email the provider does not vouch for', async () => {
    const email = uniqueEmail('unverified');
    expect((await test.admin.post('/api/v1/users', { email, displayName: 'Unverified', password: 'initial password 123' })).status).toBe(201);
    idp.setAccount({ sub: 'unverified', email, emailVerified: false, groups: ['sophon-admins'] });
    expect((await ssoSignIn(test, 'unverified')).location).toBe('/login?ssoError=SSO_EMAIL_NOT_VERIFIED');
    idp.setAccount({ sub: 'unverified-new', email: uniqueEmail('unverified-new'), emailVerified: false, groups: ['sophon-admins'] });
    expect((await ssoSignIn(test, 'unverified-new')).location).toBe('/login?ssoError=SSO_EMAIL_NOT_VERIFIED');
  });

  it("removes a deleted user's link: the next sign-in creates a new account", async () => {
    const email = uniqueEmail('deleted');
    idp.setAccount({ sub: 'deleted', email, groups: ['sophon-auditors'] });
    const first = await ssoSignIn(test, 'deleted');
    const oldId = (await first.client!.get('/api/v1/me')).body.user.id as string;
    expect((await test.admin.delete(`/api/v1/users/${oldId}`)).status).toBe(200);
    const again = await ssoSignIn(test, 'deleted');
    const newId = (await again.client!.get('/api/v1/me')).body.user.id as string;
    expect(newId).not.toBe(oldId);
  });

  it("ends the session when the ID token expires: the provider's limit wins over Sophon's 7 days", async () => {
    idp.setAccount({ sub: 'short', email: uniqueEmail('short'), groups: ['sophon-auditors'] });
    const signIn = await ssoSignIn(test, 'short');
    const sessions = await signIn.client!.get('/api/v1/me/sessions');
    const session = (sessions.body.items as { current: boolean; expiresAt: string }[]).find((entry) => entry.current)!;
    // The session's absolute end is the ID token's exp (the provider issued it for 30 minutes), not 7 days away.
    const login = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.succeeded' && event.detail?.subject === 'short');
    expect(login?.detail.providerLimit).toEqual({ by: 'id_token_exp', at: session.expiresAt });
    const fromNow = Date.parse(session.expiresAt) - test.clock.now().getTime();
    expect(fromNow).toBeGreaterThan(ID_TOKEN_TTL_SECONDS * 1000 - 5 * MINUTE);
    expect(fromNow).toBeLessThan(ID_TOKEN_TTL_SECONDS * 1000 + 5 * MINUTE);

    test.clock.advance(fromNow - MINUTE);
    try {
      expect((await signIn.client!.get('/api/v1/me')).status).toBe(200);
      test.clock.advance(MINUTE);
      const expired = await signIn.client!.get('/api/v1/me');
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('SESSION_EXPIRED');
    } finally {
      test.clock.advance(-fromNow);
    }
  });
});

describe.each(engines)('single sign-on into another tenant, with a default role and no auto-creation, on %s', (engine) => {
  let idp: TestIdentityProvider;
  let test: TestServer;

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    test = await startTestServer(engine, {
      environment: {
        Sophon__Auth__Sso__Enabled: 'true',
        Sophon__Auth__Sso__Issuer: idp.issuer,
        Sophon__Auth__Sso__ClientId: idp.clientId,
        Sophon__Auth__Sso__ClientSecret: idp.clientSecret,
        Sophon__Auth__Sso__Scopes: 'openid email profile groups',
        Sophon__Auth__Sso__Tenant: 'acme',
        Sophon__Auth__Sso__AutoCreateUsers: 'false',
        Sophon__Auth__Sso__DefaultRole: 'viewer',
        'Sophon__Auth__Sso__RoleMappings__acme-ops': 'Operator',
        Sophon__Auth__Tenants__acme__RequireTwoFactor: 'true',
      },
    });
    idp.register(`${test.url}/api/v1/auth/sso/callback`);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await test?.close();
    await idp?.close();
  });

  it('warned at start that the SSO tenant did not exist', () => {
    expect(test.printed.join('\n')).toContain('Sophon:Auth:Sso:Tenant names the tenant "acme", which does not exist');
  });

  it('refuses someone without an account when AutoCreateUsers is off, creating nothing', async () => {
    const email = uniqueEmail('stranger');
    idp.setAccount({ sub: 'stranger', email, groups: ['acme-ops'] });
    expect((await ssoSignIn(test, 'stranger')).location).toBe('/login?ssoError=SSO_USER_NOT_PROVISIONED');
    expect(await findUser(test, email)).toEqual([]);
  });

  it('gives the DefaultRole in the SSO tenant when no mapping matches, and lets the SSO session past Require 2FA', async () => {
    const email = uniqueEmail('acme-member');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Acme Member', tenant: 'acme', role: 'Operator', password: 'initial password 123' });
    expect(created.status).toBe(201);

    idp.setAccount({ sub: 'acme-member', email, groups: ['staff'] });
    const signIn = await ssoSignIn(test, 'acme-member');
    expect(signIn.location).toBe('/');
    const me = await signIn.client!.get('/api/v1/me');
    // Require 2FA holds in acme, but the provider authenticated this session: no enrolment demanded.
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.tenant).toMatchObject({ slug: 'acme', role: 'Viewer' });
    // (The admin, acting in acme, would be held to enrol there; the Viewer can read acme's trail.)
    const [assigned] = await auditEvents(signIn.client!, 'rbac', created.body.user.id);
    expect(assigned).toMatchObject({ diff: { before: { role: 'Operator' }, after: { role: 'Viewer' } }, detail: { via: 'sso', defaultRole: true } });

    // The same account by password is held to enrol, as before.
    const byPassword = await test.login(email, 'initial password 123');
    expect(byPassword.response.body.twoFactorEnrollmentRequired).toBe(true);
  });
});

describe.each(engines)('single sign-on with the provider unreachable on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 1: discovery fails at once, and the server starts regardless.
    test = await startTestServer(engine, { environment: { Sophon__Auth__Sso__Enabled: 'true', Sophon__Auth__Sso__Issuer: 'http://127.0.0.1:1', Sophon__Auth__Sso__ClientId: 'sophon', Sophon__Auth__Sso__DefaultRole: 'Viewer' } });
  });
  afterAll(() => test.close());

  it('sends the browser back to the sign-in page with SSO_PROVIDER_UNAVAILABLE, and password sign-in still works', async () => {
    const response = await fetch(`${test.url}/api/v1/auth/sso`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login?ssoError=SSO_PROVIDER_UNAVAILABLE');
    expect((await test.adminSession.get('/api/v1/me')).status).toBe(200);
  });
});

describe.each(engines)('single sign-on switched off on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  it('says so to the dashboard, and answers 404 SSO_NOT_CONFIGURED to the browser routes', async () => {
    expect((await test.anonymous.get('/api/v1/auth/sso/config')).body).toEqual({ enabled: false });
    for (const url of ['/api/v1/auth/sso', '/api/v1/auth/sso/callback?code=x&state=y']) {
      const response = await test.anonymous.get(url);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('SSO_NOT_CONFIGURED');
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadAppSettings } from '../src/config/config.ts';
import { SSO_STARTS_PER_ADDRESS } from '../src/domain/sso/sso-start-throttle.ts';
import { ApiClient } from './support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, createTestDatabase, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestDatabase, type TestServer } from './support/harness.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from './support/oidc-provider.ts';
import { RedirectBrowser } from './support/redirect-browser.ts';
import { startRogueIdentityProvider, type NextIdToken, type RogueIdentityProvider } from './support/rogue-identity-provider.ts';

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
      LinkExistingAccountsByEmail: false,
      AllowedEmailDomains: [],
    });
  });

  it('takes AllowedEmailDomains as a JSON array or, in the environment, a comma-separated list or indexed keys, lower-cased', () => {
    const domains = (environment: Record<string, string>) => loadAppSettings({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', ...environment }, '/nonexistent-sophon-dir').Sophon.Auth.Sso.AllowedEmailDomains;
    expect(domains({ Sophon__Auth__Sso__AllowedEmailDomains: 'Corp.Example, example.org' })).toEqual(['corp.example', 'example.org']);
    expect(domains({ Sophon__Auth__Sso__AllowedEmailDomains: '["corp.example"]' })).toEqual(['corp.example']);
    expect(domains({ Sophon__Auth__Sso__AllowedEmailDomains__0: 'corp.example', Sophon__Auth__Sso__AllowedEmailDomains__1: 'EXAMPLE.org' })).toEqual(['corp.example', 'example.org']);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sophon-sso-settings-')), 'appsettings.json');
    writeFileSync(file, JSON.stringify({ Sophon: { Auth: { Sso: { AllowedEmailDomains: ['Corp.Example'], LinkExistingAccountsByEmail: true } } } }));
    expect(loadAppSettings({ SOPHON_CONFIG: file }, '/').Sophon.Auth.Sso).toMatchObject({ AllowedEmailDomains: ['corp.example'], LinkExistingAccountsByEmail: true });
    const message = failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', Sophon__Auth__Sso__AllowedEmailDomains: 'corp.example,@example.org,*.example.net' });
    expect(message).toMatch(/Sophon:Auth:Sso:AllowedEmailDomains:1: must be a domain name/);
    expect(message).toMatch(/Sophon:Auth:Sso:AllowedEmailDomains:2: must be a domain name/);
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
  it('accepts ID tokens signed with RS256, ES256 or PS256 by default; IdTokenAlgorithms names others, never none or an HMAC algorithm', () => {
    const algorithms = (environment: Record<string, string>) => loadAppSettings({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', ...environment }, '/nonexistent-sophon-dir').Sophon.Auth.Sso.IdTokenAlgorithms;
    expect(algorithms({})).toEqual(['RS256', 'ES256', 'PS256']);
    expect(algorithms({ Sophon__Auth__Sso__IdTokenAlgorithms: 'es384, EdDSA' })).toEqual(['ES384', 'EdDSA']);
    expect(algorithms({ Sophon__Auth__Sso__IdTokenAlgorithms__0: 'PS512' })).toEqual(['PS512']);
    const message = failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', Sophon__Auth__Sso__IdTokenAlgorithms: 'RS256,none,HS256,XS1' });
    expect(message).toMatch(/Sophon:Auth:Sso:IdTokenAlgorithms:1: "none" is never accepted/);
    expect(message).toMatch(/Sophon:Auth:Sso:IdTokenAlgorithms:2: "HS256" is never accepted/);
    expect(message).toMatch(/Sophon:Auth:Sso:IdTokenAlgorithms:3: "XS1" is not an algorithm Sophon can verify/);
    expect(failure({ ...enabled, Sophon__Auth__Sso__Issuer: 'https://login.example.com', Sophon__Auth__Sso__IdTokenAlgorithms: '' })).toMatch(/Sophon:Auth:Sso:IdTokenAlgorithms: /);
  });
});

describe.each(engines)('single sign-on against a provider that forges ID tokens on %s', (engine) => {
  let rogue: RogueIdentityProvider;
  let test: TestServer;

  beforeAll(async () => {
    rogue = await startRogueIdentityProvider();
    test = await startTestServer(engine, {
      environment: {
        Sophon__Auth__Sso__Enabled: 'true',
        Sophon__Auth__Sso__Issuer: rogue.issuer,
        Sophon__Auth__Sso__ClientId: rogue.clientId,
        Sophon__Auth__Sso__ClientSecret: rogue.clientSecret,
        Sophon__Auth__Sso__DefaultRole: 'Viewer',
        Sophon__Auth__BruteForce__PerIp__FailureFactor: '1000',
      },
    });
  });
  afterAll(async () => {
    await test?.close();
    await rogue?.close();
  });

  /** The whole round trip: Sophon → the provider (which signs `account` in at once, with the ID token `next` describes) → Sophon's callback. */
  async function signIn(account: { sub: string; email: string; [claim: string]: unknown }, next: NextIdToken = {}): Promise<SignIn> {
    rogue.account = { email_verified: true, name: account.sub, ...account };
    rogue.nextIdToken = next;
    const browser = new RedirectBrowser();
    const toCallback = await browser.follow(`${test.url}/api/v1/auth/sso`, (url) => url.pathname === '/api/v1/auth/sso/callback');
    if (!toCallback.next) throw new Error(`the provider did not send the browser back: ${toCallback.response.status} ${await toCallback.response.text()}`);
    return visitCallback(test, browser, toCallback.next);
  }
  const latestSsoFailure = async () => (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.method === 'sso');

  it("signs in with a genuine ID token, checked against the provider's JWKS: fetched at the first sign-in, then cached", async () => {
    const email = uniqueEmail('genuine');
    const fetchesBefore = rogue.jwksFetches;
    const first = await signIn({ sub: 'genuine', email });
    expect(first.location).toBe('/');
    expect((await first.client!.get('/api/v1/me')).body.user.email).toBe(email);
    expect(rogue.jwksFetches).toBe(fetchesBefore + 1);
    expect((await signIn({ sub: 'genuine', email })).location).toBe('/');
    expect(rogue.jwksFetches).toBe(fetchesBefore + 1);
  });

  it.each([
    { forgery: 'foreign key under the published kid', check: 'signature', says: 'signature' },
    { forgery: 'alg none', check: 'algorithm', says: '"none"' },
    { forgery: 'HS256 keyed with the public key', check: 'algorithm', says: '"HS256"' },
  ] as const)("refuses an ID token with the right issuer, audience, nonce and expiry but $forgery, though the provider's discovery lists its algorithm; creates nothing; audited", async ({ forgery, check, says }) => {
    const email = uniqueEmail('forged');
    const refused = await signIn({ sub: `forged-${check}`, email }, { forgery });
    expect(refused.location).toBe('/login?ssoError=SSO_TOKEN_INVALID');
    expect(refused.client).toBeUndefined();
    expect(refused.browser.cookie(test.url, 'sophon_session')).toBeUndefined();
    expect(await findUser(test, email)).toEqual([]);
    const refusal = await latestSsoFailure();
    expect(refusal).toMatchObject({ outcome: 'failure', actorId: null, detail: { method: 'sso', reason: 'SSO_TOKEN_INVALID', check } });
    expect(refusal?.detail.message).toContain(says);
    // Nothing of the forged token is recorded as if it were the provider's word.
    expect(refusal?.detail.email).toBeUndefined();
  });

  it('refuses a genuine signature with an algorithm the installation does not allow (RS512), though the provider offers it', async () => {
    const email = uniqueEmail('rs512');
    expect((await signIn({ sub: 'rs512', email }, { alg: 'RS512' })).location).toBe('/login?ssoError=SSO_TOKEN_INVALID');
    expect(await findUser(test, email)).toEqual([]);
    const refusal = await latestSsoFailure();
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_TOKEN_INVALID', check: 'algorithm' });
    expect(refusal?.detail.message).toContain('Sophon:Auth:Sso:IdTokenAlgorithms');
    // PS256 is allowed by default, and the same key verifies it.
    expect((await signIn({ sub: 'ps256', email: uniqueEmail('ps256') }, { alg: 'PS256' })).location).toBe('/');
  });

  it("refuses an ID token issued more than five minutes in the future by the server's clock, and accepts one within the allowance", async () => {
    const now = Math.floor(Date.now() / 1000);
    const early = uniqueEmail('from-the-future');
    expect((await signIn({ sub: 'from-the-future', email: early }, { claims: { iat: now + 10 * 60, exp: now + 3600 } })).location).toBe('/login?ssoError=SSO_TOKEN_INVALID');
    expect(await findUser(test, early)).toEqual([]);
    const refusal = await latestSsoFailure();
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_TOKEN_INVALID', check: 'issued_at', subject: 'from-the-future' });
    expect(refusal?.detail.message).toContain('clock');

    expect((await signIn({ sub: 'slightly-ahead', email: uniqueEmail('slightly-ahead') }, { claims: { iat: now + 2 * 60 } })).location).toBe('/');
    // The server's clock decides, not the machine's: ten minutes ahead of it, the same token is on time.
    test.clock.advance(10 * MINUTE);
    try {
      expect((await signIn({ sub: 'on-sophon-time', email: uniqueEmail('on-sophon-time') }, { claims: { iat: now + 10 * 60, exp: now + 3600 } })).location).toBe('/');
    } finally {
      test.clock.advance(-10 * MINUTE);
    }
  });

  it('does not take email_verified "true" (a string, not the boolean) as the provider vouching for the email', async () => {
    const email = uniqueEmail('string-verified');
    expect((await signIn({ sub: 'string-verified', email, email_verified: 'true' })).location).toBe('/login?ssoError=SSO_EMAIL_NOT_VERIFIED');
    expect(await findUser(test, email)).toEqual([]);
    expect((await latestSsoFailure())?.detail).toMatchObject({ reason: 'SSO_EMAIL_NOT_VERIFIED', subject: 'string-verified' });
  });

  it('accepts a rotated key under a new kid by fetching the JWKS again, and refuses the retired key', async () => {
    const email = uniqueEmail('rotation');
    expect((await signIn({ sub: 'rotation', email })).location).toBe('/');
    const fetchesBefore = rogue.jwksFetches;
    const oldKid = rogue.kid;
    const newKid = rogue.rotateKey();
    expect(newKid).not.toBe(oldKid);
    expect((await signIn({ sub: 'rotation', email })).location).toBe('/');
    expect(rogue.jwksFetches).toBe(fetchesBefore + 1);

    // The old key is gone from the JWKS: its kid is unknown even after fetching the set again.
    expect((await signIn({ sub: 'rotation', email }, { forgery: 'retired key' })).location).toBe('/login?ssoError=SSO_TOKEN_INVALID');
    expect(rogue.jwksFetches).toBe(fetchesBefore + 2);
    const refusal = await latestSsoFailure();
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_TOKEN_INVALID', check: 'signing_key' });
    expect(refusal?.detail.message).toContain(oldKid);
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
          // Refused callbacks count against the source address (127.0.0.1 for every test here); the
          // throttle itself is tested in its own server below.
          BruteForce: { PerIp: { FailureFactor: 1000 } },
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

  it("refuses to link an existing account by email when LinkExistingAccountsByEmail is off: another tenant's admin can't plant an account", async () => {
    // An admin of tenant b creates the victim's email in b, with a password they chose and an API token they keep.
    expect((await test.admin.post('/api/v1/tenants', { slug: 'planters', name: 'Planters' })).status).toBe(201);
    const planter = await createSignedInUser(test, { role: 'Admin', tenant: 'planters' });
    const email = uniqueEmail('planted');
    const planted = await createSignedInUser(test, { role: 'Viewer', tenant: 'planters', email }, planter.client);
    const token = await planted.client.post('/api/v1/me/tokens', { name: 'kept by the planter' });
    expect(token.status).toBe(201);

    // The real person's first SSO sign-in, mapped to Admin in default: refused, nothing linked or changed.
    idp.setAccount({ sub: 'planted-victim', email, groups: ['sophon-admins'] });
    const signIn = await ssoSignIn(test, 'planted-victim');
    expect(signIn.location).toBe('/login?ssoError=SSO_ACCOUNT_EXISTS');
    expect(signIn.browser.cookie(test.url, 'sophon_session')).toBeUndefined();
    expect((await planter.client.get(`/api/v1/users/${planted.id}/activity`)).body).toMatchObject({ identities: [] });
    expect(await auditEvents(test.admin, 'rbac', planted.id)).toEqual([]);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.subject === 'planted-victim');
    expect(refusal).toMatchObject({ outcome: 'failure', subjectId: planted.id, actorId: null, detail: { method: 'sso', reason: 'SSO_ACCOUNT_EXISTS', email } });
    expect(refusal?.detail.message).toContain('LinkExistingAccountsByEmail');

    // The planted password and token still reach only what they reached before: Viewer in planters, nothing in default.
    const byPassword = await test.login(email, USER_PASSWORD);
    expect(byPassword.response.status).toBe(200);
    expect((await byPassword.client.get('/api/v1/me')).body.tenant).toMatchObject({ slug: 'planters', role: 'Viewer' });
    expect((await byPassword.client.inTenant('default').get('/api/v1/users')).status).toBe(404);
    const byToken = new ApiClient(test.url, { token: token.body.secret });
    expect((await byToken.get('/api/v1/me')).body.tenant).toMatchObject({ slug: 'planters', role: 'Viewer' });
    expect((await byToken.inTenant('default').get('/api/v1/users')).status).toBe(404);
  });

  it('refuses an existing account of the SSO tenant too while linking is off', async () => {
    const email = uniqueEmail('existing');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Existing User', role: 'Viewer', password: 'initial password 123' });
    expect(created.status).toBe(201);
    idp.setAccount({ sub: 'existing', email: email.toUpperCase(), groups: ['sophon-auditors'] });
    expect((await ssoSignIn(test, 'existing')).location).toBe('/login?ssoError=SSO_ACCOUNT_EXISTS');
    expect((await test.admin.get(`/api/v1/users/${created.body.user.id}/activity`)).body).toMatchObject({ hasPassword: true, identities: [] });
    expect(await findUser(test, email)).toHaveLength(1);
  });

  it('refuses a claim with a control character (SSO_CLAIMS_INVALID), audited, instead of failing on the database', async () => {
    const email = uniqueEmail('nul-name');
    idp.setAccount({ sub: 'nul-name', email, name: 'Null\u0000Byte', groups: ['sophon-admins'] });
    const signIn = await ssoSignIn(test, 'nul-name');
    expect(signIn.location).toBe('/login?ssoError=SSO_CLAIMS_INVALID');
    expect(await findUser(test, email)).toEqual([]);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.subject === 'nul-name');
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_CLAIMS_INVALID', email });
    expect(refusal?.detail.message).toContain('"name"');

    idp.setAccount({ sub: 'nul-email', email: `nul\u0000${uniqueEmail('email')}`, groups: ['sophon-admins'] });
    expect((await ssoSignIn(test, 'nul-email')).location).toBe('/login?ssoError=SSO_CLAIMS_INVALID');
    const emailRefusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.subject === 'nul-email');
    expect(emailRefusal?.detail).toMatchObject({ reason: 'SSO_CLAIMS_INVALID' });
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
        Sophon__Auth__Sso__LinkExistingAccountsByEmail: 'true',
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
    // The member sets their own password (kept when the account is linked), as a password user would.
    const first = await test.login(email, 'initial password 123');
    expect((await first.client.post('/api/v1/auth/password', { currentPassword: 'initial password 123', newPassword: USER_PASSWORD })).status).toBe(200);

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
    const byPassword = await test.login(email, USER_PASSWORD);
    expect(byPassword.response.body.twoFactorEnrollmentRequired).toBe(true);
  });
});

describe.each(engines)('single sign-on linking existing accounts by email, within allowed email domains, on %s', (engine) => {
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
        'Sophon__Auth__Sso__RoleMappings__sophon-admins': 'Admin',
        'Sophon__Auth__Sso__RoleMappings__sophon-operators': 'Operator',
        Sophon__Auth__Sso__DefaultRole: 'Viewer',
        Sophon__Auth__Sso__LinkExistingAccountsByEmail: 'true',
        Sophon__Auth__Sso__AllowedEmailDomains: 'EXAMPLE.test, corp.test, sophon.local',
        Sophon__Auth__BruteForce__PerIp__FailureFactor: '1000',
      },
    });
    idp.register(`${test.url}/api/v1/auth/sso/callback`);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'other', name: 'Other' })).status).toBe(201);
  });
  afterAll(async () => {
    await test?.close();
    await idp?.close();
  });

  it('does not warn about open sign-up when AllowedEmailDomains is set', () => {
    expect(test.printed.join('\n')).not.toContain('anyone with an account at the provider');
  });

  it('refuses to link an account homed in another tenant, whose admins control it', async () => {
    const email = uniqueEmail('homed-elsewhere');
    const planted = await createSignedInUser(test, { role: 'Viewer', tenant: 'other', email });
    idp.setAccount({ sub: 'homed-elsewhere', email, groups: ['sophon-admins'] });
    const signIn = await ssoSignIn(test, 'homed-elsewhere');
    expect(signIn.location).toBe('/login?ssoError=SSO_ACCOUNT_EXISTS');
    expect((await test.admin.inTenant('other').get(`/api/v1/users/${planted.id}/activity`)).body).toMatchObject({ identities: [] });
    expect((await planted.client.get('/api/v1/me')).status).toBe(200);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.subject === 'homed-elsewhere');
    expect(refusal?.detail).toMatchObject({ reason: 'SSO_ACCOUNT_EXISTS' });
    expect(refusal?.detail.message).toContain('tenant "other"');
  });

  it("links an account of the SSO tenant and retires what existed before: sessions, API tokens, an unused initial password; keeps a password the user chose", async () => {
    // One account whose owner chose their password, with a session and an API token.
    const chosen = await createSignedInUser(test, { role: 'Viewer' });
    const token = await chosen.client.post('/api/v1/me/tokens', { name: 'made before the link' });
    expect(token.status).toBe(201);
    const byToken = new ApiClient(test.url, { token: token.body.secret });
    expect((await byToken.get('/api/v1/me')).status).toBe(200);

    idp.setAccount({ sub: 'chosen', email: chosen.email.toUpperCase(), groups: ['sophon-operators'] });
    const signIn = await ssoSignIn(test, 'chosen');
    expect(signIn.location).toBe('/');
    const me = await signIn.client!.get('/api/v1/me');
    expect(me.body.user.id).toBe(chosen.id);
    expect(me.body.tenant.role).toBe('Operator');
    expect(await findUser(test, chosen.email)).toHaveLength(1);

    expect((await chosen.client.get('/api/v1/me')).status).toBe(401);
    expect((await byToken.get('/api/v1/me')).status).toBe(401);
    // Their own password still works, and now leads to the mapped role.
    const again = await test.login(chosen.email, USER_PASSWORD);
    expect(again.response.status).toBe(200);
    expect((await again.client.get('/api/v1/me')).body.tenant.role).toBe('Operator');
    const linked = (await auditEvents(test.admin, 'users', chosen.id)).find((event) => event.action === 'identity.linked');
    expect(linked).toMatchObject({
      diff: { after: { issuer: idp.issuer, subject: 'chosen' } },
      detail: { matchedBy: 'verified email', retired: { sessions: 1, apiTokens: 1, apiTokenIds: [token.body.token.id], unusedOneTimeLinks: true, initialPassword: false } },
    });

    // Linked by (issuer, subject) from now on: a new email at the provider still reaches the same account.
    idp.setAccount({ sub: 'chosen', email: uniqueEmail('renamed'), groups: ['sophon-operators'] });
    expect((await (await ssoSignIn(test, 'chosen')).client!.get('/api/v1/me')).body.user.id).toBe(chosen.id);

    // Another account, with the initial password an admin set and never changed (and a session opened with it).
    const email = uniqueEmail('initial');
    const created = await test.admin.post('/api/v1/users', { email, displayName: 'Initial Password', role: 'Viewer', password: 'initial password 123' });
    expect(created.status).toBe(201);
    const initialSession = await test.login(email, 'initial password 123');
    expect(initialSession.response.status).toBe(200);
    expect((await initialSession.client.get('/api/v1/me/sessions')).status).not.toBe(401);

    idp.setAccount({ sub: 'initial', email, groups: [] });
    const linkedInitial = await ssoSignIn(test, 'initial');
    expect(linkedInitial.location).toBe('/');
    const initialMe = await linkedInitial.client!.get('/api/v1/me');
    expect(initialMe.body).toMatchObject({ user: { id: created.body.user.id, mustChangePassword: false }, hasPassword: false, tenant: { role: 'Viewer' } });
    expect((await initialSession.client.get('/api/v1/me/sessions')).status).toBe(401);
    expect((await test.login(email, 'initial password 123')).response.body.error.code).toBe('INVALID_CREDENTIALS');
    const linkedEvent = (await auditEvents(test.admin, 'users', created.body.user.id)).find((event) => event.action === 'identity.linked');
    expect(linkedEvent?.detail.retired).toMatchObject({ sessions: 1, apiTokens: 0, initialPassword: true });
  });

  it('refuses an email outside AllowedEmailDomains, creating nothing, and compares domains case-insensitively', async () => {
    const outsider = `outsider.${process.pid}@elsewhere.test`;
    idp.setAccount({ sub: 'outsider', email: outsider, groups: ['sophon-admins'] });
    expect((await ssoSignIn(test, 'outsider')).location).toBe('/login?ssoError=SSO_EMAIL_DOMAIN_NOT_ALLOWED');
    expect(await findUser(test, outsider)).toEqual([]);
    const refusal = (await auditEvents(test.admin, 'auth')).find((event) => event.action === 'login.failed' && event.detail?.subject === 'outsider');
    expect(refusal).toMatchObject({ outcome: 'failure', detail: { method: 'sso', reason: 'SSO_EMAIL_DOMAIN_NOT_ALLOWED', email: outsider } });

    // A subdomain is another domain.
    idp.setAccount({ sub: 'subdomain', email: `sub.${process.pid}@eu.corp.test`, groups: [] });
    expect((await ssoSignIn(test, 'subdomain')).location).toBe('/login?ssoError=SSO_EMAIL_DOMAIN_NOT_ALLOWED');

    const insider = `insider.${process.pid}@Corp.TEST`;
    idp.setAccount({ sub: 'insider', email: insider, groups: [] });
    const signIn = await ssoSignIn(test, 'insider');
    expect(signIn.location).toBe('/');
    expect((await signIn.client!.get('/api/v1/me')).body.tenant.role).toBe('Viewer');

    // The rule holds at every sign-in: an email moved out of the allowed domains at the provider is refused, though linked.
    idp.setAccount({ sub: 'insider', email: `insider.${process.pid}@elsewhere.test`, groups: [] });
    expect((await ssoSignIn(test, 'insider')).location).toBe('/login?ssoError=SSO_EMAIL_DOMAIN_NOT_ALLOWED');
  });

  // Last in this suite: linking the bootstrap Admin retires the harness's API token and session (test.admin).
  it('never demotes the last Admin of default through a mapping: the change is skipped and recorded', async () => {
    idp.setAccount({ sub: 'bootstrap-admin', email: ADMIN_EMAIL, groups: [] });
    const signIn = await ssoSignIn(test, 'bootstrap-admin');
    expect(signIn.location).toBe('/');
    const me = await signIn.client!.get('/api/v1/me');
    expect(me.body.tenant.role).toBe('Admin');
    const [skipped] = await auditEvents(signIn.client!, 'rbac', me.body.user.id);
    expect(skipped).toMatchObject({ action: 'role.assignment_skipped', outcome: 'failure', diff: { before: { role: 'Admin' }, after: { role: 'Viewer' } }, detail: { reason: 'LAST_ADMIN' } });
    // The link retired the Admin's earlier API token and session; their own password still works.
    expect((await test.admin.get('/api/v1/me')).status).toBe(401);
    expect((await test.adminSession.get('/api/v1/me')).status).toBe(401);
    expect((await test.login(ADMIN_EMAIL, ADMIN_PASSWORD)).response.status).toBe(200);
  });
});

describe.each(engines)('single sign-on under the per-address throttle on %s', (engine) => {
  let idp: TestIdentityProvider;
  let test: TestServer;
  const FAILURE_FACTOR = 3;

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    // Its own server: the per-address counter is shared with password sign-ins from 127.0.0.1.
    test = await startTestServer(engine, {
      environment: {
        Sophon__Auth__Sso__Enabled: 'true',
        Sophon__Auth__Sso__Issuer: idp.issuer,
        Sophon__Auth__Sso__ClientId: idp.clientId,
        Sophon__Auth__Sso__ClientSecret: idp.clientSecret,
        Sophon__Auth__Sso__DefaultRole: 'Viewer',
        Sophon__Auth__BruteForce__PerIp__FailureFactor: String(FAILURE_FACTOR),
        Sophon__Auth__BruteForce__PerIp__WaitIncrement: '00:01:00',
      },
    });
    idp.register(`${test.url}/api/v1/auth/sso/callback`);
  });
  afterAll(async () => {
    await test?.close();
    await idp?.close();
  });

  const callback = async (stateCookie?: string) => {
    const browser = new RedirectBrowser();
    if (stateCookie) browser.setCookie(test.url, 'sophon_sso_state', stateCookie);
    const response = await browser.request(`${test.url}/api/v1/auth/sso/callback?code=bogus&state=forged`);
    expect(response.status).toBe(302);
    return response.headers.get('location');
  };
  const ssoFailures = async () => (await auditEvents(test.admin, 'auth')).filter((event) => event.action === 'login.failed' && event.detail?.method === 'sso');

  it('warned at start that anyone with an account at the provider gets the DefaultRole', () => {
    expect(test.printed.join('\n')).toContain('anyone with an account at the provider gets Viewer in tenant "default"');
  });

  it('counts bogus callbacks against the address, audits none without a state cookie, then refuses with SSO_TOO_MANY_ATTEMPTS, unaudited', async () => {
    // No state cookie: noise, not a sign-in attempt; counted, not audited.
    expect(await callback()).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(await ssoFailures()).toHaveLength(0);
    // A state cookie that doesn't match: a failed sign-in, audited and counted.
    for (let attempt = 1; attempt < FAILURE_FACTOR; attempt++) expect(await callback('some other state')).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(await ssoFailures()).toHaveLength(FAILURE_FACTOR - 1);

    for (let attempt = 0; attempt < 20; attempt++) expect(await callback('some other state')).toBe('/login?ssoError=SSO_TOO_MANY_ATTEMPTS');
    expect(await ssoFailures()).toHaveLength(FAILURE_FACTOR - 1);
    // Nor can the address start sign-ins (each would write a login state).
    const start = await fetch(`${test.url}/api/v1/auth/sso`, { redirect: 'manual' });
    expect(start.headers.get('location')).toBe('/login?ssoError=SSO_TOO_MANY_ATTEMPTS');
    expect(start.headers.getSetCookie().some((line) => line.startsWith('sophon_sso_state='))).toBe(false);

    // After the wait, a real sign-in works, and being right it isn't counted.
    test.clock.advance(61_000);
    idp.setAccount({ sub: 'after-wait', email: uniqueEmail('after-wait') });
    const signIn = await ssoSignIn(test, 'after-wait');
    expect(signIn.location).toBe('/');
    expect((await signIn.client!.get('/api/v1/me')).body.tenant.role).toBe('Viewer');
    // One more failure puts the address straight back into waiting: the successful sign-in took nothing off its count.
    expect(await callback('some other state')).toBe('/login?ssoError=SSO_STATE_INVALID');
    expect(await callback('some other state')).toBe('/login?ssoError=SSO_TOO_MANY_ATTEMPTS');
  });

  it('limits the sign-ins an address starts and leaves unfinished (each stores a login state): past the limit, 429 SSO_TOO_MANY_STARTS until the window ends; a finished one is given back', async () => {
    // Past the wait the failed callbacks above left (the starts are counted on their own).
    test.clock.advance(16 * MINUTE);
    const start = () => fetch(`${test.url}/api/v1/auth/sso`, { redirect: 'manual' });
    const stateCookie = (response: Response) => response.headers.getSetCookie().some((line) => line.startsWith('sophon_sso_state='));
    for (let started = 1; started < SSO_STARTS_PER_ADDRESS; started++) {
      const response = await start();
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location')!).origin).toBe(idp.issuer);
    }
    // One more, finished: its browser came back with its state, so it is not held against the address.
    idp.setAccount({ sub: 'starts-finished', email: uniqueEmail('starts-finished') });
    expect((await ssoSignIn(test, 'starts-finished')).location).toBe('/');
    const last = await start();
    expect(last.status).toBe(302);
    expect(stateCookie(last)).toBe(true);

    const refused = await start();
    expect(refused.status).toBe(429);
    expect(stateCookie(refused)).toBe(false);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(10 * 60);
    const body = await refused.json();
    expect(body.error).toMatchObject({ code: 'SSO_TOO_MANY_STARTS', retryAfterSeconds: retryAfter });
    expect(body.error.message).toContain('started from this address');

    test.clock.advance(retryAfter * 1000);
    expect((await start()).status).toBe(302);
  });
});

describe.each(engines)('single sign-on with a provider that offers none of the allowed ID token algorithms on %s', (engine) => {
  let rogue: RogueIdentityProvider;
  let test: TestServer;
  beforeAll(async () => {
    rogue = await startRogueIdentityProvider({ signingAlgorithms: ['HS256', 'none', 'RS512'] });
    test = await startTestServer(engine, {
      environment: {
        Sophon__Auth__Sso__Enabled: 'true',
        Sophon__Auth__Sso__Issuer: rogue.issuer,
        Sophon__Auth__Sso__ClientId: rogue.clientId,
        Sophon__Auth__Sso__ClientSecret: rogue.clientSecret,
        Sophon__Auth__Sso__DefaultRole: 'Viewer',
      },
    });
  });
  afterAll(async () => {
    await test?.close();
    await rogue?.close();
  });

  it('refuses to start a sign-in (SSO_PROVIDER_UNAVAILABLE) rather than fall back to what the provider offers', async () => {
    const response = await fetch(`${test.url}/api/v1/auth/sso`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login?ssoError=SSO_PROVIDER_UNAVAILABLE');
    expect(response.headers.getSetCookie().some((line) => line.startsWith('sophon_sso_state='))).toBe(false);
  });
});

describe.each(engines)('single sign-on with the provider unreachable on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 1: discovery fails at once, and the server starts regardless.
    test = await startTestServer(engine, { environment: { Sophon__Auth__Sso__Enabled: 'true', Sophon__Auth__Sso__Issuer: 'http://127.0.0.1:1', Sophon__Auth__Sso__ClientId: 'sophon', Sophon__Auth__Sso__DefaultRole: 'Viewer' } });
  });
  afterAll(() => test.close());

  it('warned at start that anyone with an account at the provider gets the DefaultRole', () => {
    expect(test.printed.join('\n')).toContain('anyone with an account at the provider gets Viewer in tenant "default"');
  });

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

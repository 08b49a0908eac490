import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from './support/harness.ts';

const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' };

describe.each(engines)('requests from other sites on %s', (engine) => {
  let test: TestServer;
  // Token names are unique per user (issue 12).
  let tokenCount = 0;
  let user: Awaited<ReturnType<typeof createSignedInUser>>;
  const newToken = (client: ApiClient, headers: Record<string, string>) => client.request('POST', '/api/v1/me/tokens', { name: `from a page ${++tokenCount}`, expiresIn: '1d' }, headers);
  beforeAll(async () => {
    test = await startTestServer(engine);
    user = await createSignedInUser(test, { role: 'Viewer' });
  });
  afterAll(() => test.close());

  it('refuses a write with the session cookie and CSRF token that a browser says came from another site', async () => {
    const own = new URL(test.url).origin;
    const fromElsewhere: Record<string, string>[] = [crossSite, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, { origin: 'null' }];
    for (const headers of fromElsewhere) {
      const refused = await newToken(user.client, headers);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'ORIGIN_MISMATCH', expectedOrigins: [own] });
    }
    expect((await user.client.get('/api/v1/me/tokens')).body.items).toEqual([]);
    // Reads are not writes: the dashboard may be opened from a link.
    expect((await user.client.request('GET', '/api/v1/me', undefined, crossSite)).status).toBe(200);
  });

  it("lets the dashboard's own writes through, and clients that send neither header (CLI, curl)", async () => {
    const own = new URL(test.url).origin;
    expect((await newToken(user.client, { 'sec-fetch-site': 'same-origin', origin: own })).status).toBe(201);
    expect((await newToken(user.client, { origin: own })).status).toBe(201);
    expect((await newToken(user.client, {})).status).toBe(201);
    // The CSRF token is still needed, same origin or not.
    const noCsrf = new ApiClient(test.url, { cookie: user.client.credential.cookie });
    expect((await newToken(noCsrf, { 'sec-fetch-site': 'same-origin', origin: own })).body.error.code).toBe('CSRF_TOKEN_INVALID');
  });

  it('leaves API tokens alone: they are not sent by the browser on its own', async () => {
    expect((await test.admin.request('POST', '/api/v1/tenants', { slug: `x-site-${engine}`, name: 'From a script' }, crossSite)).status).toBe(201);
  });

  it("refuses a sign-in from another site (which would put the browser in someone else's account), setting no cookie", async () => {
    const refused = await test.anonymous.request('POST', '/api/v1/auth/login', { email: user.email, password: USER_PASSWORD }, crossSite);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ORIGIN_MISMATCH');
    expect(refused.headers.getSetCookie()).toEqual([]);
    const secondStep = await test.anonymous.request('POST', '/api/v1/auth/login/two-factor', { challenge: 'anything', code: '123456' }, crossSite);
    expect(secondStep.body.error.code).toBe('ORIGIN_MISMATCH');
    const fromOwnPage = await test.anonymous.request('POST', '/api/v1/auth/login', { email: user.email, password: USER_PASSWORD }, { 'sec-fetch-site': 'same-origin', origin: new URL(test.url).origin });
    expect(fromOwnPage.status).toBe(200);
  });
});

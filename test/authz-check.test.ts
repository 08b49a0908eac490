import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

/**
 * POST /api/v1/authz/check: Sophon as the decision point for the platform's other services.
 * The credential being checked authenticates the call; the answer is the decision Sophon's own
 * routes would take, with the same sentence as their 403.
 */
describe.each(engines)('the authorization check API on %s', (engine) => {
  let test: TestServer;
  let acmeAdmin: ApiClient;
  let editor: { id: string; client: ApiClient; token: ApiClient };
  let viewer: { id: string; client: ApiClient };
  // Token names are unique per user (issue 12).
  let tokenCount = 0;

  const tokenOf = async (client: ApiClient) => {
    const created = await client.post('/api/v1/me/tokens', { name: `service check ${++tokenCount}`, expiresIn: '30d' });
    expect(created.status).toBe(201);
    return { id: created.body.token.id as string, client: new ApiClient(test.url, { token: created.body.secret }) };
  };
  const check = (client: ApiClient, body: unknown) => client.post('/api/v1/authz/check', body);

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'globex', name: 'Globex' })).status).toBe(201);
    const bootstrapAcme = test.admin.inTenant('acme');
    expect((await bootstrapAcme.post('/api/v1/roles', { name: 'workflow-editor', permissions: ['ManageWorkflows'] })).status).toBe(201);
    acmeAdmin = (await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, bootstrapAcme)).client;
    const editorUser = await createSignedInUser(test, { role: 'workflow-editor', tenant: 'acme' }, acmeAdmin);
    editor = { ...editorUser, token: (await tokenOf(editorUser.client)).client };
    viewer = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' }, acmeAdmin);
  });
  afterAll(() => test.close());

  it('allows a permission the role grants, naming the granting role', async () => {
    const answer = await check(editor.token, { permission: 'ManageWorkflows', tenant: 'acme' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ allowed: true, role: 'workflow-editor', tenant: 'acme', evaluatedIn: 'acme' });
  });

  it("asks in the request's tenant when none is named", async () => {
    expect((await check(test.admin.inTenant('acme'), { permission: 'ManageUsers' })).body).toMatchObject({ allowed: true, role: 'Admin', tenant: 'acme' });
    expect((await check(editor.token, { permission: 'ManageWorkflows' })).body).toMatchObject({ allowed: true, tenant: 'acme' });
  });

  it('refuses a permission the role lacks, naming it with the sentence of the 403', async () => {
    const answer = await check(editor.token, { permission: 'ManageAgents', tenant: 'acme' });
    expect(answer.status).toBe(200);
    const route = await editor.token.inTenant('acme').post('/api/v1/agents', { name: 'probe' });
    expect(route.status).toBe(403);
    expect(answer.body).toEqual({
      allowed: false,
      reason: 'PERMISSION_MISSING',
      missingPermission: 'ManageAgents',
      tenant: 'acme',
      evaluatedIn: 'acme',
      message: route.body.error.message,
    });
    expect(route.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageAgents', tenant: 'acme' });
  });

  it('counts installation-wide permissions only through the role in default', async () => {
    const answer = await check(acmeAdmin, { permission: 'ManageTenants', tenant: 'acme' });
    const route = await acmeAdmin.post('/api/v1/tenants', { slug: 'refused', name: 'Refused' });
    expect(route.status).toBe(403);
    expect(answer.body).toEqual({
      allowed: false,
      reason: 'PERMISSION_MISSING',
      missingPermission: 'ManageTenants',
      tenant: 'acme',
      evaluatedIn: 'default',
      message: route.body.error.message,
    });
    // The bootstrap Admin holds it through default, from whatever tenant it is asked.
    expect((await check(test.admin, { permission: 'ManageTenants', tenant: 'acme' })).body).toEqual({ allowed: true, role: 'Admin', tenant: 'acme', evaluatedIn: 'default' });
  });

  it('answers a batch in order, a tenant unknown or not the caller’s alike', async () => {
    const answer = await check(editor.token, {
      checks: [
        { permission: 'ManageWorkflows', tenant: 'acme' },
        { permission: 'ManageUsers' },
        { permission: 'ManageWorkflows', tenant: 'globex' },
        { permission: 'ManageWorkflows', tenant: 'no-such-tenant' },
      ],
    });
    expect(answer.status).toBe(200);
    const [allowed, refused, notMine, missing] = answer.body.results;
    expect(answer.body.results).toHaveLength(4);
    expect(allowed).toMatchObject({ allowed: true, role: 'workflow-editor', tenant: 'acme' });
    expect(refused).toMatchObject({ allowed: false, reason: 'PERMISSION_MISSING', missingPermission: 'ManageUsers', tenant: 'acme' });
    expect(notMine).toEqual({ allowed: false, reason: 'TENANT_NOT_FOUND', tenant: 'globex', message: 'No tenant "globex" exists, or you have no role in it.' });
    expect(missing).toEqual({ allowed: false, reason: 'TENANT_NOT_FOUND', tenant: 'no-such-tenant', message: 'No tenant "no-such-tenant" exists, or you have no role in it.' });
  });

  it('answers an X-Sophon-Tenant header naming a tenant not the caller’s with 404, as every route does', async () => {
    const answer = await check(editor.token.inTenant('globex'), { permission: 'ManageWorkflows', tenant: 'acme' });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('TENANT_NOT_FOUND');
  });

  it('answers a suspended user as allowed nothing', async () => {
    const suspended = await createSignedInUser(test, { role: 'workflow-editor', tenant: 'acme' }, acmeAdmin);
    expect((await acmeAdmin.post(`/api/v1/users/${suspended.id}/suspend`)).status).toBe(200);
    expect((await check(viewer.client, { permission: 'ManageWorkflows', tenant: 'acme', user: suspended.id })).body).toMatchObject({ allowed: false, reason: 'USER_SUSPENDED', tenant: 'acme' });
    expect((await check(suspended.client, { permission: 'ManageWorkflows' })).status).toBe(401);
  });

  it('asks on behalf of another user only with ViewUsers in that tenant, about a user visible there', async () => {
    const refused = await check(editor.token, { permission: 'ManageWorkflows', tenant: 'acme', user: viewer.id });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ViewUsers', tenant: 'acme' });

    expect((await check(viewer.client, { permission: 'ManageWorkflows', tenant: 'acme', user: editor.id })).body).toEqual({
      allowed: true,
      role: 'workflow-editor',
      tenant: 'acme',
      evaluatedIn: 'acme',
    });
    const batch = await check(viewer.client, { user: editor.id, checks: [{ permission: 'ManageAgents' }, { permission: 'ManageWorkflows' }] });
    expect(batch.body.results.map((result: { allowed: boolean }) => result.allowed)).toEqual([false, true]);

    // A user of globex only is not found in acme, as on every route.
    const stranger = await createSignedInUser(test, { role: 'Viewer', tenant: 'globex' }, test.admin.inTenant('globex'));
    const outside = await check(viewer.client, { permission: 'ManageWorkflows', tenant: 'acme', user: stranger.id });
    expect(outside.status).toBe(404);
    expect(outside.body.error.code).toBe('USER_NOT_FOUND');
    // An installation-wide answer would tell the user's role in default, where the Viewer sees no one.
    const installationWide = await check(viewer.client, { permission: 'ManageTenants', tenant: 'acme', user: editor.id });
    expect(installationWide.status).toBe(403);
    expect(installationWide.body.error).toMatchObject({ missingPermission: 'ViewUsers', tenant: 'default' });
  });

  it('reads each tenant and role once per request: a check costs two reads beyond authentication, whatever the batch', async () => {
    /** The statements of the second of two identical requests (warm). */
    const statements = async (send: () => Promise<{ status: number }>) => {
      let sent: string[] = [];
      for (let attempt = 0; attempt < 2; attempt++) sent = await statementsOf(test, async () => expect((await send()).status).toBe(200));
      return sent.length;
    };
    // An authenticated-only route whose handler reads nothing: what authentication alone costs.
    const authentication = await statements(() => editor.token.get('/api/v1/permissions'));
    const one = await statements(() => check(editor.token, { permission: 'ManageWorkflows', tenant: 'acme' }));
    const hundred = await statements(() => check(editor.token, { checks: Array.from({ length: 100 }, (_, index) => ({ permission: index % 2 ? 'ManageWorkflows' : 'ManageAgents', tenant: 'acme' })) }));
    expect(one - authentication).toBeLessThanOrEqual(2);
    expect(hundred).toBe(one);
  });

  it('refuses a revoked token with 401 right after the revocation', async () => {
    const { id, client } = await tokenOf(editor.client);
    expect((await check(client, { permission: 'ManageWorkflows' })).body.allowed).toBe(true);
    expect((await editor.client.delete(`/api/v1/me/tokens/${id}`)).status).toBe(204);
    const after = await check(client, { permission: 'ManageWorkflows' });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('TOKEN_INVALID');
    expect((await check(test.anonymous, { permission: 'ManageWorkflows' })).status).toBe(401);
  });

  it('refuses an unknown permission, naming it, and more than 100 checks', async () => {
    const unknown = await check(editor.token, { permission: 'ManageWorkflow' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'PERMISSION_UNKNOWN', permission: 'ManageWorkflow', field: 'permission' });
    expect(unknown.body.error.message).toContain('"ManageWorkflow"');
    const inBatch = await check(editor.token, { checks: [{ permission: 'ManageWorkflows' }, { permission: 'Everything' }] });
    expect(inBatch.status).toBe(400);
    expect(inBatch.body.error).toMatchObject({ code: 'PERMISSION_UNKNOWN', permission: 'Everything', field: 'checks.1.permission' });

    const tooMany = await check(editor.token, { checks: Array.from({ length: 101 }, () => ({ permission: 'ManageWorkflows' })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('VALIDATION_FAILED');
    expect(tooMany.body.error.problems[0].field).toBe('checks');
    const hundred = await check(editor.token, { checks: Array.from({ length: 100 }, () => ({ permission: 'ManageWorkflows' })) });
    expect(hundred.body.results).toHaveLength(100);
    expect((await check(editor.token, { checks: [] })).status).toBe(400);
    expect((await check(editor.token, {})).body.error.code).toBe('CHECKS_INVALID');
    expect((await check(editor.token, { permission: 'ManageWorkflows', checks: [{ permission: 'ManageWorkflows' }] })).body.error.code).toBe('CHECKS_INVALID');
  });

  it('holds a session cookie to the CSRF and origin rules of every write; a bearer token to neither', async () => {
    const { cookie, csrf } = editor.client.credential;
    const post = (headers: Record<string, string>) =>
      fetch(`${test.url}/api/v1/authz/check`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ permission: 'ManageWorkflows' }) });
    const withoutCsrf = await post({ cookie: cookie! });
    expect(withoutCsrf.status).toBe(403);
    expect(((await withoutCsrf.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN_INVALID');
    const crossSite = await post({ cookie: cookie!, 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('ORIGIN_MISMATCH');
    expect((await post({ cookie: cookie!, 'x-csrf-token': csrf! })).status).toBe(200);
    const token = editor.token.credential.token!;
    expect((await post({ authorization: `Bearer ${token}`, origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });
});

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSophonAuthz, isPermission, permissions, type Permission as ClientPermission } from '@sophon/authz-client';
import catalogue from '@sophon/authz-client/permissions.json' with { type: 'json' };
import { allPermissions, installationWidePermissions, type Permission as ServerPermission } from '../src/domain/permissions.ts';
import { renderCatalogue, staleFiles } from '../scripts/generate-authz-client.ts';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

// Fails to type-check when the package's Permission union and the server's differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const unionsAgree: Same<ClientPermission, ServerPermission> = true;

describe("the authz client's permission catalogue", () => {
  it('is generated from the server catalogue and has not drifted', () => {
    expect(unionsAgree).toBe(true);
    expect(staleFiles(), 'run npm run generate:authz-client').toEqual([]);
    expect([...permissions]).toEqual([...allPermissions]);
    expect(catalogue.permissions).toEqual([...allPermissions]);
    expect(catalogue.installationWide).toEqual(allPermissions.filter((permission) => installationWidePermissions.has(permission)));
    expect(JSON.parse(renderCatalogue()['permissions.json'])).toEqual(catalogue);
    expect(isPermission('ManageWorkflows')).toBe(true);
    expect(isPermission('ManageWorkflow')).toBe(false);
  });
});

/** A service of the platform that leaves its authorization decisions to Sophon. */
function sampleService(baseUrl: string, options: { fetch?: typeof fetch } = {}): FastifyInstance {
  const authz = createSophonAuthz({ baseUrl, ...options });
  const service = Fastify();
  service.get('/workflows', { preHandler: authz.requiresPermission('ManageWorkflows') }, async (request) => ({ listed: true, role: request.sophonAuthorization?.role }));
  service.post('/workflows', { preHandler: authz.requiresPermission('ManageWorkflows') }, async () => ({ created: true }));
  service.get('/agents', { preHandler: authz.requiresPermission('ManageAgents') }, async () => ({ listed: true }));
  service.get<{ Params: { tenant: string } }>(
    '/tenants/:tenant/workflows',
    { preHandler: authz.requiresPermission('ManageWorkflows', { tenant: (request) => (request.params as { tenant: string }).tenant }) },
    async (request) => ({ tenant: request.sophonAuthorization?.tenant }),
  );
  return service;
}

describe.each(engines)('a Fastify service using @sophon/authz-client against Sophon on %s', (engine) => {
  let test: TestServer;
  let service: FastifyInstance;
  let editor: { id: string; client: ApiClient };
  let token: { id: string; secret: string };

  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
  const get = (url: string, headers: Record<string, string> = {}) => service.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    const acme = test.admin.inTenant('acme');
    expect((await acme.post('/api/v1/roles', { name: 'workflow-editor', permissions: ['ManageWorkflows'] })).status).toBe(201);
    editor = await createSignedInUser(test, { role: 'workflow-editor', tenant: 'acme' }, acme);
    const created = await editor.client.post('/api/v1/me/tokens', { name: 'sample service', expiresIn: '30d' });
    token = { id: created.body.token.id, secret: created.body.secret };
    service = sampleService(test.url);
  });
  afterAll(async () => {
    await service?.close();
    await test.close();
  });

  it('lets a holder of the permission through, with the granting role', async () => {
    const response = await get('/workflows', bearer(token.secret));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ listed: true, role: 'workflow-editor' });
    expect((await get('/tenants/acme/workflows', bearer(token.secret))).json()).toEqual({ tenant: 'acme' });
  });

  it("refuses a caller without it in Sophon's own 403 envelope, naming the permission", async () => {
    const response = await get('/agents', bearer(token.secret));
    const sophon = await new ApiClient(test.url, { token: token.secret }).post('/api/v1/agents', { name: 'probe' });
    expect(sophon.status).toBe(403);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(sophon.body);
    expect(response.json().error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageAgents', tenant: 'acme' });
  });

  it('answers a tenant the caller has no role in as Sophon does, 404 TENANT_NOT_FOUND', async () => {
    const response = await get('/tenants/default/workflows', bearer(token.secret));
    const sophon = await new ApiClient(test.url, { token: token.secret }, 'default').get('/api/v1/me');
    expect(sophon.status).toBe(404);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual(sophon.body);
  });

  it('refuses a revoked token at once, with Sophon’s 401', async () => {
    const created = await editor.client.post('/api/v1/me/tokens', { name: 'revoked soon', expiresIn: '30d' });
    expect((await get('/workflows', bearer(created.body.secret))).statusCode).toBe(200);
    expect((await editor.client.delete(`/api/v1/me/tokens/${created.body.token.id}`)).status).toBe(204);
    const response = await get('/workflows', bearer(created.body.secret));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual((await new ApiClient(test.url, { token: created.body.secret }).get('/api/v1/me')).body);
    expect(response.json().error.code).toBe('TOKEN_INVALID');

    const anonymous = await get('/workflows');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it("applies Sophon's cookie rules by the incoming method: a GET as is, a write only with the CSRF token", async () => {
    const { cookie, csrf } = editor.client.credential;
    // The browser sends every cookie of the host; only Sophon's go on to Sophon.
    const jar = `${cookie}; sophon_csrf=${csrf}; sample_service_session=not-for-sophon`;
    expect((await get('/workflows', { cookie: jar })).statusCode).toBe(200);
    const withoutCsrf = await service.inject({ method: 'POST', url: '/workflows', headers: { cookie: jar } });
    expect(withoutCsrf.statusCode).toBe(403);
    expect(withoutCsrf.json().error.code).toBe('CSRF_TOKEN_INVALID');
    const crossSite = await service.inject({ method: 'POST', url: '/workflows', headers: { cookie: jar, 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.json().error.code).toBe('ORIGIN_MISMATCH');
    const written = await service.inject({ method: 'POST', url: '/workflows', headers: { cookie: jar, 'x-csrf-token': csrf!, 'sec-fetch-site': 'same-origin' } });
    expect(written.statusCode).toBe(200);
  });

  it('checks many permissions in one round trip, in order', async () => {
    const authz = createSophonAuthz({ baseUrl: test.url });
    const answers = await authz.checkMany(token.secret, [{ permission: 'ManageWorkflows' }, { permission: 'ManageAgents', tenant: 'acme' }, { permission: 'ManageWorkflows', tenant: 'nowhere' }]);
    expect(answers.map((answer) => answer.allowed)).toEqual([true, false, false]);
    expect(answers[1]).toMatchObject({ reason: 'PERMISSION_MISSING', missingPermission: 'ManageAgents' });
    expect(answers[2]).toMatchObject({ reason: 'TENANT_NOT_FOUND', tenant: 'nowhere' });
    expect(await authz.check(token.secret, 'ManageWorkflows', 'acme')).toEqual({ allowed: true, role: 'workflow-editor', tenant: 'acme', evaluatedIn: 'acme' });
  });

  it('denies with 503 when Sophon cannot be asked', async () => {
    const unreachable = sampleService(test.url, {
      fetch: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const response = await unreachable.inject({ method: 'GET', url: '/workflows', headers: bearer(token.secret) });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe('AUTHORIZATION_UNAVAILABLE');
    await unreachable.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, RouteDeclarationError } from '../src/http/app.ts';
import type { AnyRoute } from '../src/http/route.ts';
import { apiRoutes } from '../src/http/routes/index.ts';
import type { Services } from '../src/domain/services.ts';
import { installationWidePermissions, type Permission } from '../src/domain/permissions.ts';
import { builtInPermissions } from '../src/domain/roles/role.ts';
import { RawBody, type ApiClient, type ApiResponse } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

/**
 * The permission matrix, generated from the route table: every route that declares a
 * permission, called by a member of tenant `acme` holding each built-in role and a custom
 * role, answers 403 PERMISSION_MISSING naming that permission exactly when the role lacks
 * it. Installation-wide permissions are evaluated in `default`, where these users hold no
 * role, so they always lack them.
 */

const FAKE_ID = '00000000-0000-7000-8000-000000000000';

const CUSTOM_ROLE: Permission[] = ['ViewUsers', 'AssignRoles', 'ManageWorkflows', 'ManageDocuments', 'ViewAuditLogs', 'ViewLicense'];

const rolesUnderTest: { role: string; permissions: readonly Permission[] }[] = [
  { role: 'Admin', permissions: builtInPermissions('admin')! },
  { role: 'Operator', permissions: builtInPermissions('operator')! },
  { role: 'Viewer', permissions: builtInPermissions('viewer')! },
  { role: 'matrix-custom', permissions: CUSTOM_ROLE },
];

const permissionRoutes = apiRoutes.filter((route): route is AnyRoute & { access: { permission: Permission } } => typeof route.access === 'object');
const publicRoutes = apiRoutes.filter((route) => route.access === 'public');
const authenticatedRoutes = apiRoutes.filter((route) => route.access === 'authenticated');

/** The route's URL with every path parameter filled with a fake id. */
const urlOf = (route: AnyRoute) => route.url.replace(/:\w+/g, FAKE_ID);

function call(client: ApiClient, route: AnyRoute): Promise<ApiResponse> {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return client.request(route.method, urlOf(route), withBody ? {} : undefined);
}

const label = (route: AnyRoute) => `${route.method} ${route.url}`;

describe('the route table', () => {
  it('has routes of every kind to test', () => {
    expect(permissionRoutes.length).toBeGreaterThan(20);
    expect(publicRoutes.length).toBeGreaterThan(0);
    expect(authenticatedRoutes.length).toBeGreaterThan(0);
  });

  it('makes the server refuse to start when a route declares no access', async () => {
    const undeclared = { method: 'GET', url: '/api/v1/forgotten', summary: 'No access declared', tag: 'test', handler: async () => ({}) } as unknown as AnyRoute;
    await expect(buildApp({ services: {} as Services, routes: [...apiRoutes, undeclared] })).rejects.toThrow(RouteDeclarationError);
    await expect(buildApp({ services: {} as Services, routes: [...apiRoutes, undeclared] })).rejects.toThrow('GET /api/v1/forgotten');
  });

  it('makes the server refuse to start when a route names a permission outside the catalogue', async () => {
    const misspelt = { ...apiRoutes[0]!, url: '/api/v1/misspelt', access: { permission: 'ManageUser' } } as unknown as AnyRoute;
    await expect(buildApp({ services: {} as Services, routes: [misspelt] })).rejects.toThrow(/ManageUser/);
  });
});

describe.each(engines)('permission matrix on %s', (engine) => {
  let test: TestServer;
  const members = new Map<string, ApiClient>();

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    const acmeAdmin = test.admin.inTenant('acme');
    expect((await acmeAdmin.post('/api/v1/roles', { name: 'matrix-custom', permissions: CUSTOM_ROLE })).status).toBe(201);
    for (const { role } of rolesUnderTest) {
      members.set(role, (await createSignedInUser(test, { role, tenant: 'acme' }, acmeAdmin)).client);
    }
  });
  afterAll(() => test.close());

  describe.each(rolesUnderTest)('as $role in acme', ({ role, permissions }) => {
    const held = new Set(permissions);
    const lacks = (permission: Permission) => installationWidePermissions.has(permission) || !held.has(permission);

    it.each(permissionRoutes.map((route) => [label(route), route] as const))('%s', async (_name, route) => {
      const response = await call(members.get(role)!, route);
      const permission = route.access.permission;
      if (lacks(permission)) {
        expect(response.status, JSON.stringify(response.body)).toBe(403);
        expect(response.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: permission });
        const evaluatedIn = installationWidePermissions.has(permission) ? 'default' : 'acme';
        expect(response.body.error.message).toContain(permission);
        expect(response.body.error.message).toContain(`"${evaluatedIn}"`);
      } else {
        expect(response.status, JSON.stringify(response.body)).not.toBe(401);
        expect(response.body?.error?.code, JSON.stringify(response.body)).not.toBe('PERMISSION_MISSING');
        expect(response.status).toBeLessThan(500);
      }
    });
  });

  it('answers public routes without credentials', async () => {
    for (const route of publicRoutes) {
      const response = await call(test.anonymous, route);
      expect(response.status, label(route)).not.toBe(401);
      expect(response.status, label(route)).not.toBe(403);
      expect(response.status, label(route)).toBeLessThan(500);
    }
  });

  it('answers 401 to authenticated-only routes without credentials', async () => {
    for (const route of authenticatedRoutes) {
      const response = await call(test.anonymous, route);
      expect(response.status, label(route)).toBe(401);
      expect(response.body.error.code, label(route)).toBe('AUTHENTICATION_REQUIRED');
    }
  });

  it('answers 401, not 403, to permission routes without credentials', async () => {
    for (const route of permissionRoutes) {
      expect((await call(test.anonymous, route)).status, label(route)).toBe(401);
    }
  });

  it('authorizes HEAD like the GET it mirrors', async () => {
    const head = (client: ApiClient) =>
      fetch(`${test.url}/api/v1/audit`, { method: 'HEAD', headers: { cookie: client.credential.cookie!, 'x-sophon-tenant': 'acme' } }).then((response) => response.status);
    expect(await head(members.get('Operator')!)).toBe(403);
    expect(await head(members.get('Viewer')!)).toBe(200);
    expect((await fetch(`${test.url}/api/v1/audit`, { method: 'HEAD' })).status).toBe(401);
  });

  it('checks the permission before validating the body', async () => {
    const viewer = members.get('Viewer')!;
    const invalid = await viewer.post('/api/v1/users', { email: 42, displayName: ['not', 'a', 'name'] });
    expect(invalid.status).toBe(403);
    expect(invalid.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageUsers' });

    const malformed = await fetch(`${test.url}/api/v1/roles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: viewer.credential.cookie!, 'x-csrf-token': viewer.credential.csrf!, 'x-sophon-tenant': 'acme' },
      body: '{"name": "unterminated',
    });
    expect(malformed.status).toBe(403);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_MISSING');
  });

  it('lets a holder of the permission through to body validation', async () => {
    const admin = members.get('Admin')!;
    const invalid = await admin.post('/api/v1/users', { email: 42, displayName: 'Valid Name' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    expect(invalid.body.error.message).toContain('email');
  });
});

/**
 * The second pass: the same matrix over an app whose routes declare only "authenticated", so the
 * route table checks nothing but the credential. Every refusal must then come from the domain's
 * own re-check, naming the same permission in the same tenant: a service that forgot its check
 * fails here. Each call sends a body that passes validation (else the route would answer 400
 * before the domain is reached).
 */
const validInput: Record<string, { suffix?: string; body?: unknown }> = {
  'POST /api/v1/tenants': { body: { slug: 'matrix-probe', name: 'Probe' } },
  'PATCH /api/v1/tenants/:tenant': { body: { name: 'Renamed' } },
  'PUT /api/v1/tenants/:tenant/members/:user': { body: { role: 'Viewer' } },
  'POST /api/v1/users/import': { body: new RawBody('email,displayName\nmatrix.probe@example.test,Probe\n', 'text/csv') },
  'POST /api/v1/users/imports': { body: new RawBody('email,displayName\nmatrix.probe@example.test,Probe\n', 'text/csv') },
  'POST /api/v1/users': { body: { email: 'matrix.probe@example.test', displayName: 'Probe' } },
  'PUT /api/v1/users/:id/role': { body: { role: 'Viewer' } },
  'POST /api/v1/users/:id/move': { body: { tenant: 'acme' } },
  'POST /api/v1/users/reassign': { body: { from: FAKE_ID, to: FAKE_ID.replace(/0$/, '1') } },
  'POST /api/v1/users/:id/one-time-link': { body: { deliver: 'manual' } },
  'POST /api/v1/users/purge-orphans': { body: { olderThan: '30d', dryRun: true } },
  'PUT /api/v1/users/:id/avatar': { body: new RawBody('not an image', 'image/png') },
  'GET /api/v1/tokens': { suffix: `?user=${FAKE_ID}` },
  'POST /api/v1/roles': { body: { name: 'matrix-probe', permissions: ['ViewUsers'] } },
  'PUT /api/v1/settings/authentication': { body: { requireTwoFactor: false } },
  ...Object.fromEntries(['agents', 'workflows', 'memory', 'documents'].map((kind) => [`POST /api/v1/${kind}`, { body: { name: 'probe' } }])),
};

const routesWithoutOwnChecks: AnyRoute[] = apiRoutes.map((route) => (typeof route.access === 'object' ? { ...route, access: 'authenticated' } : route));

describe.each(engines)('permission matrix with every route check disabled, on %s', (engine) => {
  let test: TestServer;
  const members = new Map<string, ApiClient>();

  beforeAll(async () => {
    test = await startTestServer(engine, { routes: routesWithoutOwnChecks });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    const acmeAdmin = test.admin.inTenant('acme');
    expect((await acmeAdmin.post('/api/v1/roles', { name: 'matrix-custom', permissions: CUSTOM_ROLE })).status).toBe(201);
    for (const { role } of rolesUnderTest) {
      members.set(role, (await createSignedInUser(test, { role, tenant: 'acme' }, acmeAdmin)).client);
    }
  });
  afterAll(() => test.close());

  describe.each(rolesUnderTest.filter(({ role }) => role !== 'Admin'))('as $role in acme', ({ role, permissions }) => {
    const held = new Set(permissions);
    const lacking = permissionRoutes.filter((route) => installationWidePermissions.has(route.access.permission) || !held.has(route.access.permission));

    it.each(lacking.map((route) => [label(route), route] as const))('%s is refused by the domain', async (name, route) => {
      const input = validInput[name] ?? {};
      const withBody = route.method !== 'GET' && route.method !== 'DELETE';
      const response = await members.get(role)!.request(route.method, urlOf(route) + (input.suffix ?? ''), withBody ? (input.body ?? {}) : undefined);
      const permission = route.access.permission;
      expect(response.body?.error?.code, `${name} needs a valid sample input in validInput: ${JSON.stringify(response.body)}`).not.toBe('VALIDATION_FAILED');
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(response.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: permission });
      const evaluatedIn = installationWidePermissions.has(permission) ? 'default' : 'acme';
      expect(response.body.error.message).toContain(`"${evaluatedIn}"`);
    });
  });
});

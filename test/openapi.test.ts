import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions } from '../src/domain/permissions.ts';
import { describeAccess } from '../src/http/route.ts';
import { apiRoutes } from '../src/http/routes/index.ts';
import { engines, startTestServer, type TestServer } from './support/harness.ts';

interface Operation {
  'x-sophon-permission'?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
}

describe.each(engines)('OpenAPI document on %s', (engine) => {
  let test: TestServer;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    test = await startTestServer(engine);
    const response = await test.anonymous.get('/api/openapi.json');
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(() => test.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

  it('is OpenAPI 3.1 and served without credentials', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it('describes every route of the route table, once', () => {
    expect(operations()).toHaveLength(apiRoutes.length);
    for (const route of apiRoutes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(document.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
  });

  it("gives every operation x-sophon-permission: a catalogue permission, 'public' or 'authenticated'", () => {
    const allowed = new Set<string>([...allPermissions, 'public', 'authenticated']);
    for (const { path, method, operation } of operations()) {
      expect(allowed.has(operation['x-sophon-permission'] ?? ''), `${method} ${path}: ${operation['x-sophon-permission']}`).toBe(true);
    }
  });

  it("shows each route's declared requirement", () => {
    for (const route of apiRoutes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(document.paths[path]![route.method.toLowerCase()]!['x-sophon-permission']).toBe(describeAccess(route.access));
    }
  });

  it('marks public operations as needing no credential and the others as needing one', () => {
    for (const route of apiRoutes) {
      const operation = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]![route.method.toLowerCase()]!;
      if (route.access === 'public') expect(operation.security).toEqual([]);
      else expect(operation.security!.length).toBeGreaterThan(0);
    }
  });

  it('documents path parameters and request bodies', () => {
    const createUser = document.paths['/api/v1/users']!.post!;
    expect(createUser['x-sophon-permission']).toBe('ManageUsers');
    expect(createUser.requestBody).toBeDefined();
    const getUser = document.paths['/api/v1/users/{id}']!.get!;
    expect(getUser.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]));
  });
});

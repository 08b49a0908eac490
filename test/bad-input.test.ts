import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';

/** Whatever a client sends, the answer is a 4xx with a stable code and a message: never a 500. */
describe.each(engines)('bad input on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  /** Sends a raw body as the admin (Bearer token, so no CSRF header is involved). */
  const raw = async (method: string, path: string, body: string | undefined, contentType = 'application/json') => {
    const response = await fetch(`${test.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${test.admin.credential.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
  };
  const expectClientError = (response: { status: number; body: any }, status: number, code?: string) => {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(typeof response.body.error.message).toBe('string');
    expect(response.body.error.message.length).toBeGreaterThan(0);
    if (code) expect(response.body.error.code).toBe(code);
    return response;
  };

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    expectClientError(await raw('POST', '/api/v1/users', '{"email": "a@b.c", '), 400, 'INVALID_JSON');
    expectClientError(await raw('POST', '/api/v1/roles', "{'name': 'single quotes'}"), 400, 'INVALID_JSON');
  });

  it('answers a body that is not an object with 400', async () => {
    for (const body of ['[]', '"text"', '42', 'null', 'true']) {
      const response = await raw('POST', '/api/v1/roles', body);
      expect(response.status, body).toBe(400);
    }
  });

  it('answers an empty JSON body with 400 naming the missing fields', async () => {
    const response = await raw('POST', '/api/v1/users', '{}');
    expectClientError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.message).toContain('email');
    expect(response.body.error.message).toContain('displayName');
  });

  it('answers wrong types with 400 naming the field', async () => {
    const response = await test.admin.post('/api/v1/roles', { name: 'typed', permissions: 'ViewUsers' });
    expectClientError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.problems).toEqual([expect.objectContaining({ field: 'permissions' })]);
    expectClientError(await test.admin.post('/api/v1/users', { email: ['a@b.c'], displayName: 'X' }), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.post('/api/v1/users/purge-orphans', { olderThan: '30d', dryRun: 'yes' }), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.post('/api/v1/roles', { name: 'scoped', permissions: [], scope: 'universe' }), 400, 'VALIDATION_FAILED');
  });

  it('answers overlong strings with 400', async () => {
    const long = 'x'.repeat(5000);
    expectClientError(await test.admin.post('/api/v1/users', { email: `${long}@example.test`, displayName: 'X' }), 400);
    expectClientError(await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: long }), 400);
    expectClientError(await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'X', password: long }), 400);
    expectClientError(await test.admin.post('/api/v1/roles', { name: long, permissions: [] }), 400);
    expectClientError(await test.admin.post('/api/v1/tenants', { slug: long, name: 'X' }), 400);
    expectClientError(await test.admin.post('/api/v1/workflows', { name: long }), 400);
    expectClientError(await test.admin.post('/api/v1/auth/login', { email: long, password: long }), 400);
    expectClientError(await test.admin.get(`/api/v1/users/${'x'.repeat(101)}`), 414, 'URL_PARAMETER_TOO_LONG');
    expectClientError(await test.admin.get(`/api/v1/users/${long}`), 414, 'URL_PARAMETER_TOO_LONG');
    expectClientError(await test.admin.get(`/api/v1/users?search=${long}`), 400);
  });

  it('answers a too-long permission list and too-large content with 400 or 413', async () => {
    expectClientError(await test.admin.post('/api/v1/roles', { name: 'huge', permissions: Array.from({ length: 500 }, () => 'ViewUsers') }), 400);
    expectClientError(await test.admin.post('/api/v1/documents', { name: 'big', content: 'x'.repeat(300 * 1024) }), 400, 'RESOURCE_CONTENT_TOO_LARGE');
    expectClientError(await raw('POST', '/api/v1/documents', JSON.stringify({ name: 'bigger', content: 'x'.repeat(2 * 1024 * 1024) })), 413, 'BODY_TOO_LARGE');
  });

  it('refuses unknown fields, naming them, instead of silently ignoring them', async () => {
    const response = await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'Extra', favouriteColour: 'teal', isAdmin: true });
    expectClientError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.message).toContain('favouriteColour');
    const suspendByPatch = await test.admin.patch('/api/v1/users/00000000-0000-7000-8000-000000000000', { status: 'suspended' });
    expectClientError(suspendByPatch, 400, 'VALIDATION_FAILED');
    expect(suspendByPatch.body.error.message).toContain('status');
  });

  it('answers a content type it does not read with 415', async () => {
    expectClientError(await raw('POST', '/api/v1/roles', 'name=form', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers bad query parameters with 400', async () => {
    expectClientError(await test.admin.get('/api/v1/users?limit=many'), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.get('/api/v1/users?limit=0'), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.get('/api/v1/users?limit=1000000'), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.get('/api/v1/audit?until=2026-13-45T99:00:00Z'), 400, 'VALIDATION_FAILED');
  });

  it('refuses a cursor that no page handed out, and takes a well-formed one as a position', async () => {
    const made = expectClientError(await test.admin.get('/api/v1/users?cursor=not-an-id'), 400, 'VALIDATION_FAILED');
    expect(made.body.error.message).toContain('cursor');
    expectClientError(await test.admin.get('/api/v1/audit?cursor=zzzz'), 400, 'VALIDATION_FAILED');
    expectClientError(await test.admin.get('/api/v1/workflows?cursor=1%27%20OR%201=1'), 400, 'VALIDATION_FAILED');
    // A deleted user's id still marks a place in the order.
    const position = await test.admin.get('/api/v1/users?cursor=00000000-0000-7000-8000-000000000000');
    expect(position.status).toBe(200);
  });

  it('answers NUL characters in text with 400 on every engine', async () => {
    expectClientError(await test.admin.post('/api/v1/users', { email: uniqueEmail(), displayName: 'nul\u0000byte' }), 400, 'NUL_CHARACTER');
    expectClientError(await test.admin.post('/api/v1/workflows', { name: 'nul\u0000byte' }), 400);
    expectClientError(await test.admin.post('/api/v1/workflows', { name: 'ok', content: { note: 'nul\u0000byte' } }), 400);
    expectClientError(await test.admin.get('/api/v1/users?search=a%00b'), 400);
    expectClientError(await test.admin.get('/api/v1/users/a%00b'), 400);
    expectClientError(await test.admin.post('/api/v1/auth/login', { email: 'a\u0000@b.c', password: 'x' }), 400);
  });

  it('answers lone surrogates and odd Unicode without a 500', async () => {
    const lone = await raw('POST', '/api/v1/workflows', '{"name": "half \\ud800 a pair"}');
    expect(lone.status).toBeLessThan(500);
    const emoji = await test.admin.post('/api/v1/workflows', { name: 'ünïcødé 🚀 名前' });
    expect(emoji.status).toBe(201);
    expect((await test.admin.get(`/api/v1/workflows/${emoji.body.id}`)).body.name).toBe('ünïcødé 🚀 名前');
  });

  it('answers broken percent-encoding in the URL with 400 in the usual envelope', async () => {
    expectClientError(await test.admin.get('/api/v1/users/%E0%A4%A'), 400, 'URL_INVALID');
  });

  it('answers JSON content nested too deeply with 400, not a stack overflow', async () => {
    const deep = `{"name": "deep", "content": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expectClientError(await raw('POST', '/api/v1/documents', deep), 400, 'RESOURCE_CONTENT_TOO_DEEP');
    const nested = await test.admin.post('/api/v1/documents', { name: 'nested', content: { a: { b: { c: [1, [2, [3]]] } } } });
    expect(nested.status).toBe(201);
  });

  it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    expectClientError(await test.admin.get('/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });

  it('answers an over-long tenant header with 404, not 500', async () => {
    const response = await test.admin.request('GET', '/api/v1/me', undefined, { 'x-sophon-tenant': 't'.repeat(4000) });
    expectClientError(response, 404, 'TENANT_NOT_FOUND');
  });

  it('does not let __proto__ in a body change anything', async () => {
    const response = await raw('POST', '/api/v1/users', JSON.stringify({ email: uniqueEmail(), displayName: 'Proto' }).replace('{', '{"__proto__": {"role": "Admin"}, '));
    expect(response.status).toBeLessThan(500);
    if (response.status === 201) expect((response.body as any).user.role).toBe('Viewer');
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Services } from '../src/domain/services.ts';
import { buildApp } from '../src/http/app.ts';
import { buildOpenApiDocument } from '../src/http/openapi.ts';
import { defineRoute, type AnyRoute } from '../src/http/route.ts';
import { apiRoutes } from '../src/http/routes/index.ts';

/**
 * Every route says what it answers (docs/api.md, "Responses"): a JSON schema (`response`), a
 * media type that isn't JSON (`responseContentType`), or no body (204). The schemas drive the
 * OpenAPI document and the dashboard's types (web/src/types.ts), and every test server checks
 * each answer against them (test/support/harness.ts), so an answer can't drift from them.
 */

/** Routes that may answer without a declared response, each with its reason. Keep it short. */
const undeclared: Record<string, string> = {};

/**
 * Routes being built right now by others, by URL prefix: reported below, not failed, until their
 * authors declare their responses (then the entry goes).
 */
const inProgress: Record<string, string> = {};

const label = (route: AnyRoute) => `${route.method} ${route.url}`;
const declares = (route: AnyRoute) => route.response !== undefined || route.responseContentType !== undefined || route.status === 204;
const pending = (route: AnyRoute) => Object.keys(inProgress).some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`));

describe('response schemas in the route table', () => {
  it('declares what every route answers', () => {
    const missing = apiRoutes.filter((route) => !declares(route) && !Object.hasOwn(undeclared, label(route)) && !pending(route)).map(label);
    const reported = apiRoutes.filter((route) => !declares(route) && pending(route)).map(label);
    if (reported.length > 0) console.info(`Routes without a response schema yet (in progress):\n  ${reported.join('\n  ')}`);
    expect(missing, 'give these routes `response:` (a schema of src/http/schemas/), `responseContentType:` or status 204').toEqual([]);
  });

  it('lists in its allowlist only routes that still lack a declaration', () => {
    const stale = Object.keys(undeclared).filter((name) => {
      const route = apiRoutes.find((candidate) => label(candidate) === name);
      return !route || declares(route);
    });
    expect(stale).toEqual([]);
  });

  it('answers JSON with a schema on every route under /api that answers JSON', () => {
    // Non-JSON answers are files and pictures: the exports, avatars, the access-review CSV.
    const nonJson = apiRoutes.filter((route) => route.url.startsWith('/api/') && route.responseContentType !== undefined).map(label);
    expect(nonJson.every((name) => /export|avatar/.test(name)), nonJson.join(', ')).toBe(true);
  });

  it('shows each declared response in the OpenAPI document, with its schema among the components', () => {
    const document = buildOpenApiDocument(apiRoutes);
    const schemas = document.components.schemas as Record<string, Record<string, unknown>>;
    for (const route of apiRoutes.filter((candidate) => candidate.response)) {
      const operation = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]![route.method.toLowerCase()] as { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> };
      const ref = operation.responses[String(route.status ?? 200)]!.content!['application/json']!.schema.$ref;
      expect(ref, label(route)).toMatch(/^#\/components\/schemas\//);
      expect(schemas[ref.split('/').at(-1)!], label(route)).toBeDefined();
    }
    // Shared shapes appear once, by name, and are referred to; objects refuse undeclared fields.
    expect(schemas.UserView).toMatchObject({ type: 'object', additionalProperties: false, required: expect.arrayContaining(['id', 'email', 'homeTenant', 'role']) });
    expect(JSON.stringify(schemas.CreatedUser)).toContain('"$ref":"#/components/schemas/UserView"');
  });
});

describe('an answer that drifts from its schema', () => {
  const shape = z.strictObject({ id: z.string(), name: z.string() });
  const probe = (answer: unknown) =>
    defineRoute({ method: 'GET', url: '/probe', summary: 'A probe', tag: 'test', access: 'public', response: shape, handler: async () => answer as z.infer<typeof shape> });
  const answerOf = async (answer: unknown, checkResponses: boolean) => {
    const app = await buildApp({ services: {} as Services, routes: [probe(answer)], checkResponses });
    try {
      const response = await app.inject({ method: 'GET', url: '/probe' });
      return { status: response.statusCode, body: response.json() as { error?: { code: string; message: string } } & Record<string, unknown> };
    } finally {
      await app.close();
    }
  };

  it('goes through whole when it matches', async () => {
    expect(await answerOf({ id: '1', name: 'a' }, true)).toEqual({ status: 200, body: { id: '1', name: 'a' } });
  });

  it('fails the request when it has a field the schema does not declare, naming the field', async () => {
    const { status, body } = await answerOf({ id: '1', name: 'a', secret: 'x' }, true);
    expect(status).toBe(500);
    expect(body.error?.code).toBe('RESPONSE_SCHEMA_MISMATCH');
    expect(body.error?.message).toContain('GET /probe');
    expect(body.error?.message).toContain('"secret"');
  });

  it('fails the request when a declared field is missing or of another type', async () => {
    const missing = await answerOf({ id: '1' }, true);
    expect(missing.status).toBe(500);
    expect(missing.body.error?.message).toContain('name');
    const mistyped = await answerOf({ id: 1, name: 'a' }, true);
    expect(mistyped.body.error?.code).toBe('RESPONSE_SCHEMA_MISMATCH');
    expect(mistyped.body.error?.message).toContain('id');
  });

  it('is sent as the handler returned it outside tests: the schema never strips a field', async () => {
    expect(await answerOf({ id: '1', name: 'a', extra: true }, false)).toEqual({ status: 200, body: { id: '1', name: 'a', extra: true } });
  });
});

import { z } from 'zod';
import { describeAccess, type AnyRoute } from './route.ts';
import { namedResponseSchemas } from './schemas/common.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, missingPermission: { type: 'string' } },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const described = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (described.required ?? []).includes(name),
    schema: property,
  }));
}

/** A name for a route's own response shape: `GET /api/v1/users/:id/memberships` → `UsersIdMembershipsGetResponse`. */
function responseNameOf(route: AnyRoute): string {
  const words = route.url.replace(/^\/api\/v1\//, '/').split(/[^A-Za-z0-9]+/).filter(Boolean);
  const method = route.method[0] + route.method.slice(1).toLowerCase();
  return `${words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}${method}Response`;
}

/**
 * The response schemas as components.schemas: the shared shapes under their names (User, Role…),
 * each route's own under a name made from it, with references between them.
 */
function responseComponents(routes: readonly AnyRoute[]) {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [schema, meta] of namedResponseSchemas) registry.add(schema, meta);
  const refs = new Map<AnyRoute, string>();
  for (const route of routes) {
    if (!route.response) continue;
    if (!registry.has(route.response)) registry.add(route.response, { id: responseNameOf(route) });
    refs.set(route, `#/components/schemas/${registry.get(route.response)!.id}`);
  }
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Record<string, unknown>> };
  const components = Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]));
  return { components, refs };
}

function successOf(route: AnyRoute, ref: string | undefined) {
  if (route.status === 204) return { description: 'No content' };
  if (ref) return { description: 'Success', content: { 'application/json': { schema: { $ref: ref } } } };
  if (route.responseContentType) return { description: 'Success', content: { [route.responseContentType]: {} } };
  return { description: 'Success' };
}

/** OpenAPI 3.1 from the route table: each operation carries its requirement as x-sophon-permission. */
export function buildOpenApiDocument(routes: readonly AnyRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const { components, refs } = responseComponents(routes);
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const isPublic = route.access === 'public';
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      'x-sophon-permission': describeAccess(route.access),
      security: isPublic ? [] : [{ bearerToken: [] }, { sessionCookie: [] }],
      parameters: [
        ...parametersOf(route.params, 'path'),
        ...parametersOf(route.query, 'query'),
        ...(isPublic ? [] : [{ name: 'X-Sophon-Tenant', in: 'header', required: false, description: "Tenant slug the request acts in; the caller's home tenant when absent.", schema: { type: 'string' } }]),
      ],
      ...(route.body ? { requestBody: { required: true, content: { [route.requestContentType ?? 'application/json']: { schema: jsonSchema(route.body) } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: successOf(route, refs.get(route)),
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sophon Identity API', version: '1' },
    paths,
    components: {
      schemas: { Error: errorSchema, ...components },
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (sph_...)' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sophon_session', description: 'Writes also need the X-CSRF-Token header.' },
      },
    },
  };
}

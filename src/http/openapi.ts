import { z } from 'zod';
import { describeAccess, type AnyRoute } from './route.ts';

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

/** OpenAPI 3.1 from the route table: each operation carries its requirement as x-sophon-permission. */
export function buildOpenApiDocument(routes: readonly AnyRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
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
        [String(route.status ?? 200)]: { description: 'Success' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sophon Identity API', version: '1' },
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (sph_...)' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sophon_session', description: 'Writes also need the X-CSRF-Token header.' },
      },
    },
  };
}

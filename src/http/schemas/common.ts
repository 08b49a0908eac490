import { z } from 'zod';

/**
 * Response schemas: what each route of the route table answers on success (`response:` in
 * `defineRoute`). One module per concept, each shape declared once and reused by every route
 * that answers it. The dashboard imports their types (`import type`, web/src/types.ts), the
 * OpenAPI document shows them under components.schemas, and every test server checks each
 * answer against its route's schema (AppOptions.checkResponses): an undeclared field, or a
 * declared one missing, fails the request. Objects are strict for that reason.
 */
export const namedResponseSchemas = new Map<z.ZodType, { id: string; description?: string }>();

/** Registers a shape under its OpenAPI name (components.schemas.<id>). */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  if ([...namedResponseSchemas.values()].some((meta) => meta.id === id)) throw new Error(`Two response schemas are named ${id}.`);
  namedResponseSchemas.set(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

/** An instant as the API writes it: ISO 8601 text. */
export const timestamp = z.string().describe('An ISO 8601 instant');

/** A page of a list ordered by time-ordered ids: `nextCursor` is the cursor of the next page, null on the last. */
export function page<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A whole list in one answer. */
export function list<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item) });
}

/** `{ code, message }`: an error as a row of a report carries it (not an error answer). */
export const errorSummary = z.strictObject({ code: z.string(), message: z.string() });

/** A page of T, as `page(item)` declares it. */
export type Page<T> = { items: T[]; nextCursor: string | null };

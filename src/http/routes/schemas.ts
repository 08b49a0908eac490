import { z } from 'zod';

/** Shapes shared by several routes: one schema per shape, reused for validation, types and OpenAPI. */
export const idParams = z.object({ id: z.string().min(1).max(100) });
export const tenantParams = z.object({ tenant: z.string().min(1).max(100) });

export const pageQuery = z.object({
  // Every list is ordered by its time-ordered ids, so a cursor is one of them; anything else
  // is a caller's mistake worth naming rather than a silently empty or misplaced page.
  cursor: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a cursor is the nextCursor of an earlier page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const email = z.string().max(254);
export const password = z.string().max(1024);

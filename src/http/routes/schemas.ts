import { z } from 'zod';

/** Shapes shared by several routes: one schema per shape, reused for validation, types and OpenAPI. */
export const idParams = z.object({ id: z.string().min(1).max(100) });
export const tenantParams = z.object({ tenant: z.string().min(1).max(100) });

export const pageQuery = z.object({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const email = z.string().max(254);
export const password = z.string().max(1024);

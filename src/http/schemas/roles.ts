import { z } from 'zod';
import { list, named, timestamp } from './common.ts';

/** A role usable in the tenant the request acts in: built-in, global or the tenant's own. */
export const role = named(
  'Role',
  z.strictObject({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    /** null for global roles. */
    tenantId: z.string().nullable(),
    builtIn: z.boolean(),
    permissions: z.array(z.string()),
    createdAt: timestamp,
    updatedAt: timestamp,
    scope: z.enum(['global', 'tenant']),
    /** How many users hold it. */
    usedBy: z.number(),
  }),
);
export const roleList = list(role);

/** GET /api/v1/permissions: the catalogue, grouped as in the RBAC documentation. */
export const permissionCatalogue = named(
  'PermissionCatalogue',
  z.strictObject({ groups: z.array(z.strictObject({ group: z.string(), permissions: z.array(z.strictObject({ name: z.string(), description: z.string() })) })) }),
);

export type Role = z.infer<typeof role>;
export type PermissionCatalogue = z.infer<typeof permissionCatalogue>;

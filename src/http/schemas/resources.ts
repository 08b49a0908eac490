import { z } from 'zod';
import { named, page, timestamp } from './common.ts';

/** An agent, workflow, memory or document, owned by a user of the tenant. */
export const ownedResource = named(
  'Resource',
  z.strictObject({
    id: z.string(),
    tenantId: z.string(),
    kind: z.enum(['agent', 'workflow', 'memory', 'document']),
    name: z.string(),
    /** null once the owner is deleted. */
    ownerId: z.string().nullable(),
    previousOwnerId: z.string().nullable(),
    orphanedAt: timestamp.nullable(),
    content: z.unknown(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);
export const resourcePage = page(ownedResource);

const skipped = z.strictObject({ tenantId: z.string(), tenant: z.string(), count: z.number(), reason: z.enum(['PERMISSION_MISSING', 'RECIPIENT_NOT_MEMBER']) });

/** POST /api/v1/users/reassign */
export const reassignResult = z.strictObject({
  reassigned: z.number(),
  tenants: z.array(z.strictObject({ tenantId: z.string(), tenant: z.string(), reassigned: z.number() })),
  skipped: z.array(skipped),
  /** The former owner's orphans in tenants where the caller has no role: neither named nor touched. */
  inOtherTenants: z.number(),
});

/** POST /api/v1/users/purge-orphans */
export const purgeResult = z.strictObject({
  dryRun: z.boolean(),
  count: z.number(),
  tenants: z.array(z.strictObject({ tenantId: z.string(), tenant: z.string(), count: z.number() })),
  skipped: z.array(skipped),
  items: z.array(
    z.strictObject({
      id: z.string(),
      tenantId: z.string(),
      tenant: z.string(),
      kind: z.enum(['agent', 'workflow', 'memory', 'document']),
      name: z.string(),
      previousOwnerId: z.string().nullable(),
      orphanedAt: timestamp.nullable(),
    }),
  ),
  itemsTruncated: z.boolean(),
});

export type OwnedResource = z.infer<typeof ownedResource>;

import { z } from 'zod';
import { list, named, page, timestamp } from './common.ts';

export const tenant = named('Tenant', z.strictObject({ id: z.string(), slug: z.string(), name: z.string(), createdAt: timestamp, updatedAt: timestamp }));

/** A row of GET /api/v1/tenants. */
export const tenantListItem = named(
  'TenantListItem',
  tenant.extend({
    /** Users holding a role there. */
    memberCount: z.number(),
    /** Users whose home tenant it is, and resources it owns: a tenant with either can't be deleted. */
    homeUserCount: z.number(),
    resourceCount: z.number(),
    /** The caller's role there; null for a tenant they manage without belonging to it. */
    myRole: z.string().nullable(),
  }),
);
export const tenantList = list(tenantListItem);

const roleRef = z.strictObject({ id: z.string(), name: z.string(), builtIn: z.boolean() });

/** One row of GET /api/v1/tenants/:tenant/members. */
export const tenantMember = named(
  'TenantMember',
  z.strictObject({
    userId: z.string(),
    email: z.string(),
    displayName: z.string(),
    status: z.enum(['active', 'suspended']),
    /** The slug of the user's home tenant. */
    homeTenant: z.string(),
    /** The role in force (a time-bound one while it lasts). */
    role: roleRef,
    assignedAt: timestamp,
    /** Time-bound: the role's end and the permanent role that applies again then; null when permanent. */
    endsAt: timestamp.nullable().optional(),
    thenRole: z.strictObject({ id: z.string(), name: z.string() }).nullable().optional(),
  }),
);

export const tenantMembers = page(tenantMember).extend({
  tenant,
  /** The roles that can be given in the tenant: the global ones and its own. */
  roles: z.array(roleRef.extend({ scope: z.enum(['global', 'tenant']) })),
});

/** PUT /tenants/:tenant/members/:user */
export const tenantMemberRole = z.strictObject({ tenant: z.string(), userId: z.string(), role: z.string(), /** A time-bound role's end; null when permanent. */ endsAt: z.string().nullable() });

export type Tenant = z.infer<typeof tenant>;
export type TenantListItem = z.infer<typeof tenantListItem>;
export type TenantMember = z.infer<typeof tenantMember>;
export type TenantMembers = z.infer<typeof tenantMembers>;
export type TenantMemberRole = z.infer<typeof tenantMemberRole>;

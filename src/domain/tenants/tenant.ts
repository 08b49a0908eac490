import type { UserStatus } from '../users/user.ts';
import { fail } from '../error-catalogue.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface TenantSummary extends Tenant {
  /** Users holding a role in the tenant. */
  memberCount: number;
  /** Users whose home tenant it is: a tenant with any can't be deleted. */
  homeUserCount: number;
  /** Agents, workflows, memory and documents owned by the tenant: a tenant with any can't be deleted. */
  resourceCount: number;
}

/** A user holding a role in a tenant, as the tenant's member list shows them. */
export interface TenantMember {
  userId: string;
  email: string;
  displayName: string;
  status: UserStatus;
  /** The slug of the user's home tenant (where their account lives). */
  homeTenant: string;
  /** The role in force (a time-bound one while it lasts). */
  role: { id: string; name: string; builtIn: boolean };
  assignedAt: string;
  /** Time-bound: the role's end, and the permanent role that applies again then (null when permanent). */
  endsAt?: string | null;
  thenRole?: { id: string; name: string } | null;
}

export const DEFAULT_TENANT_SLUG = 'default';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkTenantSlug(slug: string): string {
  if (!slugPattern.test(slug)) {
    throw fail('TENANT_SLUG_INVALID', { slug });
  }
  // Tenants are named by slug or by id (X-Sophon-Tenant, the check API); a slug shaped like an id could stand in for another tenant.
  if (idShaped.test(slug)) {
    throw fail('TENANT_SLUG_AMBIGUOUS', { slug });
  }
  return slug;
}

const idShaped = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

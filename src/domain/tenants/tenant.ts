import type { UserStatus } from '../users/user.ts';
import { invalid } from '../errors.ts';

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
  role: { id: string; name: string; builtIn: boolean };
  assignedAt: string;
}

export const DEFAULT_TENANT_SLUG = 'default';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkTenantSlug(slug: string): string {
  if (!slugPattern.test(slug)) {
    throw invalid(
      'TENANT_SLUG_INVALID',
      `Tenant slug "${slug}" is invalid: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.`,
    );
  }
  // Tenants are named by slug or by id (X-Sophon-Tenant, the check API); a slug shaped like an id could stand in for another tenant.
  if (idShaped.test(slug)) {
    throw invalid('TENANT_SLUG_INVALID', `Tenant slug "${slug}" is shaped like a tenant id, which would make the two ambiguous; choose another.`);
  }
  return slug;
}

const idShaped = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

import type { Tenant, TenantMember, TenantSummary } from './tenant.ts';

export interface TenantStore {
  create(tenant: Tenant): Promise<void>;
  getById(tenantId: string): Promise<Tenant | undefined>;
  getBySlug(slug: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  /** Every tenant with its counts of members, users at home and resources: one statement. */
  listWithCounts(): Promise<TenantSummary[]>;
  /**
   * The tenant's members (users holding a role there) with their role in force at `now` (and its end when time-bound) and home tenant, ordered
   * by user id, after the given id: one statement, however many members.
   */
  listMembers(tenantId: string, page: { after?: string; limit: number }, now: string): Promise<TenantMember[]>;
  update(tenantId: string, changes: { name: string; updatedAt: string }): Promise<void>;
  delete(tenantId: string): Promise<void>;
  /** Counts what still lives in the tenant: users at home there, and owned resources. */
  countContents(tenantId: string): Promise<{ homeUsers: number; resources: number }>;
}

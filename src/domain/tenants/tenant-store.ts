import type { Tenant } from './tenant.ts';

export interface TenantStore {
  create(tenant: Tenant): Promise<void>;
  getById(tenantId: string): Promise<Tenant | undefined>;
  getBySlug(slug: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  update(tenantId: string, changes: { name: string; updatedAt: string }): Promise<void>;
  delete(tenantId: string): Promise<void>;
  /** Counts what still lives in the tenant: users at home there, and owned resources. */
  countContents(tenantId: string): Promise<{ homeUsers: number; resources: number }>;
}

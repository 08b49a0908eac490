import type { OrphanCount, OwnedResource, ResourceKind } from './resource.ts';

export interface ResourceStore {
  create(resource: OwnedResource): Promise<void>;
  get(tenantId: string, kind: ResourceKind, resourceId: string): Promise<OwnedResource | undefined>;
  list(tenantId: string, kind: ResourceKind, query: { after?: string; limit: number }): Promise<OwnedResource[]>;
  update(tenantId: string, resourceId: string, changes: Pick<OwnedResource, 'name' | 'content' | 'updatedAt'>): Promise<void>;
  delete(tenantId: string, resourceId: string): Promise<void>;
  /** Marks everything the user owns, in every tenant, as orphaned; returns how many. */
  orphanAllOf(ownerId: string, at: string): Promise<number>;
  /** Gives the tenant's orphans of a former owner to a new owner; returns how many. */
  reassignOrphans(tenantId: string, previousOwnerId: string, newOwnerId: string, at: string): Promise<number>;
  /**
   * How many orphans each tenant holds (tenants with none are left out), of one former owner
   * and/or orphaned before a time; in the given tenants only, when `tenantIds` is set. Across
   * tenants on purpose, like `orphanAllOf`: reassign and purge say what they leave behind.
   */
  countOrphans(filter: { tenantIds?: readonly string[]; previousOwnerId?: string; orphanedBefore?: string }): Promise<OrphanCount[]>;
  /** The tenant's orphans orphaned before `orphanedBefore`, oldest first. */
  listOrphans(tenantId: string, orphanedBefore: string, limit: number): Promise<OwnedResource[]>;
  deleteMany(tenantId: string, resourceIds: readonly string[]): Promise<number>;
  /** Moves everything the owner has in one tenant to another; returns how many. */
  moveOwned(ownerId: string, fromTenantId: string, toTenantId: string, at: string): Promise<number>;
}

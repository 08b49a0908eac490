import type { Permission } from '../permissions.ts';

/** The seed's user-owned data: deleting a user orphans these, it doesn't delete them. */
export const resourceKinds = {
  agents: { kind: 'agent', managePermission: 'ManageAgents' },
  workflows: { kind: 'workflow', managePermission: 'ManageWorkflows' },
  memory: { kind: 'memory', managePermission: 'ManageMemory' },
  documents: { kind: 'document', managePermission: 'ManageDocuments' },
} as const satisfies Record<string, { kind: string; managePermission: Permission }>;

export type ResourceCollection = keyof typeof resourceKinds;
export type ResourceKind = (typeof resourceKinds)[ResourceCollection]['kind'];

export interface OwnedResource {
  id: string;
  tenantId: string;
  kind: ResourceKind;
  name: string;
  /** null once the owner is deleted. */
  ownerId: string | null;
  /** Who owned it before it was orphaned, and since when it is orphaned. */
  previousOwnerId: string | null;
  orphanedAt: string | null;
  content: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface OrphanCount {
  tenantId: string;
  count: number;
}

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

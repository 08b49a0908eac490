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

import { allPermissions, isPermission, type Permission } from '../permissions.ts';
import { fail } from '../error-catalogue.ts';

/** A global role can be assigned in every tenant; a tenant role only in its own tenant. */
export type RoleScope = { kind: 'global' } | { kind: 'tenant'; tenantId: string };

export interface Role {
  id: string;
  name: string;
  description: string;
  /** null for global roles. */
  tenantId: string | null;
  builtIn: boolean;
  permissions: Permission[];
  createdAt: string;
  updatedAt: string;
}

/**
 * The built-in roles, fixed in code. Admin is "all permissions", so it is the one role
 * that gains a permission added to the catalogue later.
 *
 * Operator: "operational tasks — pause/restart services, view system health, approve
 * pending tasks, manage Node devices. Cannot manage users or change roles." The task
 * ledger and cache flushes are part of operating, and budgets are read-only context.
 *
 * Viewer: "read-only. Can view but not modify any resource. Useful for auditors and
 * oversight." Every View* permission and nothing else; reading a tenant's agents,
 * workflows, memory and documents needs only membership of the tenant.
 */
export const builtInRoleDefinitions = [
  {
    id: 'admin',
    name: 'Admin',
    description: 'Everything. User management, RBAC, audit, license, compliance, tenant configuration.',
    permissions: allPermissions,
  },
  {
    id: 'operator',
    name: 'Operator',
    description:
      'Operational tasks: pause/restart services, view system health, approve pending tasks, manage Node devices. Cannot manage users or change roles.',
    permissions: [
      'ApproveActions',
      'CancelTasks',
      'ViewActiveTasks',
      'RestartServices',
      'ClearCaches',
      'ViewSystemHealth',
      'ManageNodes',
      'ViewBudgets',
    ],
  },
  {
    id: 'viewer',
    name: 'Viewer',
    description: 'Read-only. Can see sessions, documents, memory, workflows. Cannot modify anything.',
    permissions: ['ViewUsers', 'ViewActiveTasks', 'ViewBudgets', 'ViewSystemHealth', 'ViewAuditLogs', 'ViewLicense'],
  },
] as const satisfies ReadonlyArray<{ id: string; name: string; description: string; permissions: readonly Permission[] }>;

export const ADMIN_ROLE_ID = 'admin';

export function builtInPermissions(roleId: string): Permission[] | undefined {
  const definition = builtInRoleDefinitions.find((role) => role.id === roleId);
  return definition ? [...definition.permissions] : undefined;
}

export function normalizeRoleName(name: string): string {
  return name.trim().toLowerCase();
}

const roleNamePattern = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/;

export function checkRoleName(name: string): string {
  const trimmed = name.trim();
  if (!roleNamePattern.test(trimmed)) {
    throw fail('ROLE_NAME_INVALID', { name });
  }
  return trimmed;
}

/** Rejects names outside the catalogue, naming them; returns the set deduplicated in catalogue order. */
export function checkPermissionNames(names: readonly string[]): Permission[] {
  const unknown = names.filter((name) => !isPermission(name));
  if (unknown.length > 0) {
    throw fail('PERMISSION_UNKNOWN', { field: 'permissions', permissions: unknown.join(', ') }, {
      unknownPermissions: unknown,
    });
  }
  const wanted = new Set(names);
  return allPermissions.filter((permission) => wanted.has(permission));
}

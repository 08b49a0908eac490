/**
 * The permission catalogue from roles-and-rbac.txt: one typed source of truth.
 * Groups and order follow the seed. A custom role stores an explicit subset of
 * these names, so a permission added here later is never granted to an existing
 * custom role (secure by default); only the built-in Admin, defined as "all",
 * picks it up.
 */
export const permissionGroups = {
  'Users & identity': {
    ManageUsers: 'create / delete / suspend users',
    ManageRoles: 'create / edit custom roles',
    ManageTenants: 'create / manage tenants',
    AssignRoles: "change a user's role",
    ViewUsers: 'see the user list',
  },
  Resources: {
    ManageAgents: 'create / edit / delete agents',
    ManageWorkflows: 'create / edit / delete workflows',
    ManageSkills: 'install / uninstall / configure skills',
    ManageMemory: 'write / delete memory entries (across users, if scoped)',
    ManageDocuments: 'upload / delete documents',
    ManageConnections: 'add / remove OAuth and API-key connections',
    ManageChannels: 'add / remove channel adapters',
    ManageCronJobs: 'create / edit / delete scheduled jobs',
    ManageWebhooks: 'create / edit / delete webhooks',
    ManageNodes: 'approve / configure / delete Sophon Nodes',
    ManageMcp: 'configure MCP client + server',
  },
  'Approvals & execution': {
    ApproveActions: 'approve / reject high-risk actions',
    CancelTasks: 'cancel any running task (not just your own)',
    ViewActiveTasks: 'see the task ledger',
  },
  'Models & providers': {
    ManageModels: 'add / remove LLM provider credentials',
    ViewBudgets: 'see budget utilization',
    ManageBudgets: 'set budget limits',
  },
  'System & operations': {
    ManageSettings: 'edit Gateway configuration',
    ViewSystemHealth: 'Operations → System',
    RestartServices: 'pause / resume processing',
    ClearCaches: 'flush caches',
    GenerateOnboarding: 'create remote-access onboarding tickets',
  },
  'Audit & compliance': {
    ViewAuditLogs: 'read the audit log',
    ExportAuditLogs: 'CSV / JSON export',
    ManageCompliance: 'generate compliance reports, configure retention',
  },
  Licensing: {
    ViewLicense: 'see license tier and features',
    ManageLicense: 'install / rotate license keys',
  },
} as const;

type Groups = typeof permissionGroups;
export type PermissionGroup = keyof Groups;
export type Permission = { [G in PermissionGroup]: keyof Groups[G] }[PermissionGroup];

export const allPermissions: readonly Permission[] = Object.values(permissionGroups).flatMap(
  (group) => Object.keys(group) as Permission[],
);

const permissionSet: ReadonlySet<string> = new Set(allPermissions);

export function isPermission(name: string): name is Permission {
  return permissionSet.has(name);
}

export function describePermission(permission: Permission): { group: PermissionGroup; description: string } {
  for (const [group, members] of Object.entries(permissionGroups)) {
    const description = (members as Record<string, string>)[permission];
    if (description !== undefined) return { group: group as PermissionGroup, description };
  }
  throw new Error(`unreachable: ${permission} is not in the catalogue`);
}

/**
 * Permissions that govern the whole installation rather than one tenant. They are
 * evaluated against the caller's role in the `default` tenant, whatever tenant the
 * request acts in: `default` is the installation's home (it exists from bootstrap,
 * the bootstrap Admin lives there, and it can't be deleted), so an Admin of tenant
 * `acme` can run `acme` but can't create tenants or install a license.
 */
export const installationWidePermissions: ReadonlySet<Permission> = new Set<Permission>([
  'ManageTenants',
  'ManageSettings',
  'ManageLicense',
  'ViewLicense',
]);

import { describe, expect, it } from 'vitest';
import { allPermissions, describePermission, installationWidePermissions, isPermission, permissionGroups } from './permissions.ts';

/** The catalogue of roles-and-rbac.txt, group by group, in its order. */
const seedCatalogue = {
  'Users & identity': ['ManageUsers', 'ManageRoles', 'ManageTenants', 'AssignRoles', 'ViewUsers'],
  Resources: ['ManageAgents', 'ManageWorkflows', 'ManageSkills', 'ManageMemory', 'ManageDocuments', 'ManageConnections', 'ManageChannels', 'ManageCronJobs', 'ManageWebhooks', 'ManageNodes', 'ManageMcp'],
  'Approvals & execution': ['ApproveActions', 'CancelTasks', 'ViewActiveTasks'],
  'Models & providers': ['ManageModels', 'ViewBudgets', 'ManageBudgets'],
  'System & operations': ['ManageSettings', 'ViewSystemHealth', 'RestartServices', 'ClearCaches', 'GenerateOnboarding'],
  'Audit & compliance': ['ViewAuditLogs', 'ExportAuditLogs', 'ManageCompliance'],
  Licensing: ['ViewLicense', 'ManageLicense'],
};

describe('the permission catalogue', () => {
  it('holds exactly the permissions of the RBAC documentation, in its groups and order', () => {
    expect(Object.fromEntries(Object.entries(permissionGroups).map(([group, members]) => [group, Object.keys(members)]))).toEqual(seedCatalogue);
  });

  it('lists every permission once', () => {
    expect(allPermissions).toEqual(Object.values(seedCatalogue).flat());
    expect(new Set(allPermissions).size).toBe(allPermissions.length);
  });

  it('recognises catalogue names exactly, case included', () => {
    expect(isPermission('ManageUsers')).toBe(true);
    expect(isPermission('manageusers')).toBe(false);
    expect(isPermission('ManageUnicorns')).toBe(false);
    expect(isPermission('toString')).toBe(false);
  });

  it('describes a permission with its group', () => {
    expect(describePermission('ManageNodes')).toEqual({ group: 'Resources', description: 'approve / configure / delete Sophon Nodes' });
  });

  it('treats tenants, settings and the license as installation-wide', () => {
    expect([...installationWidePermissions].sort()).toEqual(['ManageLicense', 'ManageSettings', 'ManageTenants', 'ViewLicense']);
  });
});

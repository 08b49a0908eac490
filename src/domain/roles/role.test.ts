import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { allPermissions } from '../permissions.ts';
import { builtInPermissions, builtInRoleDefinitions, checkPermissionNames, checkRoleName, normalizeRoleName } from './role.ts';

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as DomainError).code;
  }
  return undefined;
};

describe('built-in roles', () => {
  it('are Admin, Operator and Viewer', () => {
    expect(builtInRoleDefinitions.map((role) => role.name)).toEqual(['Admin', 'Operator', 'Viewer']);
  });

  it('give Admin every permission, including ones added to the catalogue later', () => {
    expect(builtInPermissions('admin')).toEqual([...allPermissions]);
  });

  it("keep Operator away from users, roles, tenants, settings and the license", () => {
    const operator = builtInPermissions('operator')!;
    for (const forbidden of ['ManageUsers', 'ManageRoles', 'AssignRoles', 'ManageTenants', 'ManageSettings', 'ManageLicense'] as const) expect(operator).not.toContain(forbidden);
    expect(operator).toEqual(expect.arrayContaining(['RestartServices', 'ViewSystemHealth', 'ApproveActions', 'ManageNodes']));
  });

  it('make Viewer read-only: View* permissions only', () => {
    const viewer = builtInPermissions('viewer')!;
    expect(viewer.length).toBeGreaterThan(0);
    expect(viewer.every((permission) => permission.startsWith('View'))).toBe(true);
  });

  it('answer undefined for a role that is not built in', () => {
    expect(builtInPermissions('workflow-editor')).toBeUndefined();
  });

  it('hand out copies, so a caller cannot change a built-in set', () => {
    builtInPermissions('viewer')!.push('ManageUsers');
    expect(builtInPermissions('viewer')).not.toContain('ManageUsers');
  });
});

describe('role names', () => {
  it('accept the examples of the documentation, trimmed', () => {
    expect(checkRoleName(' finance-auditor ')).toBe('finance-auditor');
    expect(checkRoleName('Workflow Editor 2.0')).toBe('Workflow Editor 2.0');
  });

  it.each(['', ' ', '-x', '.x', 'a/b', 'x'.repeat(64), 'naïve'])('refuse %j', (name) => {
    expect(codeOf(() => checkRoleName(name))).toBe('ROLE_NAME_INVALID');
  });

  it('compare case-insensitively', () => {
    expect(normalizeRoleName(' Admin ')).toBe(normalizeRoleName('admin'));
  });
});

describe('permission lists of custom roles', () => {
  it('are deduplicated and put in catalogue order', () => {
    expect(checkPermissionNames(['ViewAuditLogs', 'ManageUsers', 'ViewAuditLogs'])).toEqual(['ManageUsers', 'ViewAuditLogs']);
  });

  it('may be empty', () => {
    expect(checkPermissionNames([])).toEqual([]);
  });

  it('name every unknown permission in the error', () => {
    try {
      checkPermissionNames(['ViewUsers', 'ManageUnicorns', 'viewusers']);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).details).toEqual({ unknownPermissions: ['ManageUnicorns', 'viewusers'] });
      expect((error as DomainError).message).toContain('ManageUnicorns, viewusers');
    }
  });
});

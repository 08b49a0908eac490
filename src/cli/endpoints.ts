import type { Permission } from '../domain/permissions.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * An HTTP endpoint the CLI calls, with the permission its route declares: the CLI
 * checks that permission before sending (the server checks it again). test/cli checks
 * this table against the server's route table, so the two can't drift apart.
 */
export interface Endpoint {
  method: HttpMethod;
  path: string;
  permission?: Permission;
}

const endpoint = (method: HttpMethod, path: string, permission?: Permission): Endpoint => ({ method, path, permission });

export const endpoints = {
  login: endpoint('POST', '/api/v1/auth/login'),
  loginTwoFactor: endpoint('POST', '/api/v1/auth/login/two-factor'),
  logout: endpoint('POST', '/api/v1/auth/logout'),
  changePassword: endpoint('POST', '/api/v1/auth/password'),

  me: endpoint('GET', '/api/v1/me'),
  listOwnTokens: endpoint('GET', '/api/v1/me/tokens'),
  createOwnToken: endpoint('POST', '/api/v1/me/tokens'),
  rotateOwnToken: endpoint('POST', '/api/v1/me/tokens/:id/rotate'),
  deleteOwnToken: endpoint('DELETE', '/api/v1/me/tokens/:id'),
  twoFactorStatus: endpoint('GET', '/api/v1/me/two-factor'),
  startTwoFactorEnrollment: endpoint('POST', '/api/v1/me/two-factor/enrollment'),
  confirmTwoFactorEnrollment: endpoint('POST', '/api/v1/me/two-factor/enrollment/confirm'),
  disableTwoFactor: endpoint('POST', '/api/v1/me/two-factor/disable'),
  regenerateRecoveryCodes: endpoint('POST', '/api/v1/me/two-factor/recovery-codes'),

  createUser: endpoint('POST', '/api/v1/users', 'ManageUsers'),
  importUsers: endpoint('POST', '/api/v1/users/import', 'ManageUsers'),
  startImport: endpoint('POST', '/api/v1/users/imports', 'ManageUsers'),
  getImport: endpoint('GET', '/api/v1/users/imports/:id', 'ManageUsers'),
  listImportRows: endpoint('GET', '/api/v1/users/imports/:id/rows', 'ManageUsers'),
  exportUsers: endpoint('GET', '/api/v1/users/export', 'ViewUsers'),
  listUsers: endpoint('GET', '/api/v1/users', 'ViewUsers'),
  getUser: endpoint('GET', '/api/v1/users/:id', 'ViewUsers'),
  updateUser: endpoint('PATCH', '/api/v1/users/:id', 'ManageUsers'),
  deleteUser: endpoint('DELETE', '/api/v1/users/:id', 'ManageUsers'),
  suspendUser: endpoint('POST', '/api/v1/users/:id/suspend', 'ManageUsers'),
  reactivateUser: endpoint('POST', '/api/v1/users/:id/reactivate', 'ManageUsers'),
  logoutUser: endpoint('POST', '/api/v1/users/:id/logout', 'ManageUsers'),
  setUserRole: endpoint('PUT', '/api/v1/users/:id/role', 'AssignRoles'),
  effectivePermissions: endpoint('GET', '/api/v1/users/:id/effective-permissions', 'ViewUsers'),
  explainAccess: endpoint('GET', '/api/v1/users/:id/explain', 'ViewUsers'),
  userMemberships: endpoint('GET', '/api/v1/users/:id/memberships'),
  reassignOrphans: endpoint('POST', '/api/v1/users/reassign', 'ManageUsers'),
  purgeOrphans: endpoint('POST', '/api/v1/users/purge-orphans', 'ManageUsers'),
  moveUser: endpoint('POST', '/api/v1/users/:id/move', 'ManageUsers'),
  resetPassword: endpoint('POST', '/api/v1/users/:id/reset-password', 'ManageUsers'),
  handOverLink: endpoint('POST', '/api/v1/users/:id/one-time-link', 'ManageUsers'),
  resetTwoFactor: endpoint('POST', '/api/v1/users/:id/reset-2fa', 'ManageUsers'),
  userActivity: endpoint('GET', '/api/v1/users/:id/activity', 'ViewUsers'),

  listUserTokens: endpoint('GET', '/api/v1/tokens', 'ManageUsers'),
  revokeToken: endpoint('DELETE', '/api/v1/tokens/:id', 'ManageUsers'),

  listRoles: endpoint('GET', '/api/v1/roles', 'ViewUsers'),
  getRole: endpoint('GET', '/api/v1/roles/:id', 'ViewUsers'),
  createRole: endpoint('POST', '/api/v1/roles', 'ManageRoles'),
  updateRole: endpoint('PATCH', '/api/v1/roles/:id', 'ManageRoles'),
  deleteRole: endpoint('DELETE', '/api/v1/roles/:id', 'ManageRoles'),

  listTenants: endpoint('GET', '/api/v1/tenants'),
  createTenant: endpoint('POST', '/api/v1/tenants', 'ManageTenants'),

  listAudit: endpoint('GET', '/api/v1/audit', 'ViewAuditLogs'),
  exportAudit: endpoint('GET', '/api/v1/audit/export', 'ExportAuditLogs'),

  accessReview: endpoint('GET', '/api/v1/access-review', 'ViewAuditLogs'),
  requestAccess: endpoint('POST', '/api/v1/me/access-requests'),
  listOwnAccessRequests: endpoint('GET', '/api/v1/me/access-requests'),
  listAccessRequests: endpoint('GET', '/api/v1/access-requests', 'AssignRoles'),
  getAccessRequest: endpoint('GET', '/api/v1/access-requests/:id', 'AssignRoles'),
  approveAccessRequest: endpoint('POST', '/api/v1/access-requests/:id/approve', 'AssignRoles'),
  denyAccessRequest: endpoint('POST', '/api/v1/access-requests/:id/deny', 'AssignRoles'),
  recordAccessReview: endpoint('POST', '/api/v1/access-reviews', 'ViewAuditLogs'),
  listAccessReviews: endpoint('GET', '/api/v1/access-reviews', 'ViewAuditLogs'),
  getAccessReview: endpoint('GET', '/api/v1/access-reviews/:id', 'ViewAuditLogs'),
  exportAccessReviews: endpoint('GET', '/api/v1/access-reviews/export', 'ExportAuditLogs'),
} as const satisfies Record<string, Endpoint>;

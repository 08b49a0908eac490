import { describe, expect, it } from 'vitest';
import type { Permission } from '../permissions.ts';
import type { Role } from '../roles/role.ts';
import { NO_PASSWORD_HASH } from '../users/passwords.ts';
import type { StoredUser } from '../users/user.ts';
import { accessReviewFindings } from './access-review.ts';
import { explainAccess, type ExplainFacts } from './explain.ts';
import { assignmentRefusal } from './guards.ts';

const role = (id: string, permissions: Permission[], tenantId: string | null = null, builtIn = false): Role => ({ id, name: id, description: '', tenantId, builtIn, permissions, createdAt: '', updatedAt: '' });
const user = (changes: Partial<StoredUser> = {}): StoredUser => ({
  id: 'dana',
  email: 'dana@example.test',
  displayName: 'Dana',
  homeTenantId: 'acme',
  status: 'active',
  passwordHash: '$argon2id$x',
  mustChangePassword: false,
  passwordExpiresAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastLoginAt: null,
  lastLoginIp: null,
  lastLoginUserAgent: null,
  ...changes,
});

describe('assignmentRefusal, the rule of who may assign a role over loaded facts', () => {
  const facts = {
    assignerId: 'ann',
    assignerHeld: new Set<Permission>(['AssignRoles', 'ApproveActions', 'ViewUsers']),
    assignerHeldAtUserHome: new Set<Permission>(),
    userId: 'dana',
    userHeld: new Set<Permission>(['ViewUsers']),
    role: role('approver', ['ApproveActions']),
    inDefault: false,
  };
  it('lets a holder of AssignRoles and of every permission of the role assign it', () => expect(assignmentRefusal(facts)).toBeNull());
  it('refuses without AssignRoles', () => expect(assignmentRefusal({ ...facts, assignerHeld: new Set<Permission>(['ApproveActions', 'ViewUsers']) })).toBe('PERMISSION_MISSING'));
  it('refuses one’s own role', () => expect(assignmentRefusal({ ...facts, assignerId: 'dana' })).toBe('CANNOT_CHANGE_OWN_ROLE'));
  it('refuses escalation', () => expect(assignmentRefusal({ ...facts, role: role('canceller', ['CancelTasks']) })).toBe('PRIVILEGE_ESCALATION'));
  it('refuses over someone holding more', () => expect(assignmentRefusal({ ...facts, userHeld: new Set<Permission>(['ViewAuditLogs']) })).toBe('TARGET_MORE_PRIVILEGED'));
  it('needs ManageUsers there and at home to add a non-member', () => {
    expect(assignmentRefusal({ ...facts, userHeld: undefined })).toBe('PERMISSION_MISSING');
    const manages = new Set<Permission>([...facts.assignerHeld, 'ManageUsers']);
    expect(assignmentRefusal({ ...facts, userHeld: undefined, assignerHeld: manages, assignerHeldAtUserHome: new Set<Permission>(['ManageUsers']) })).toBeNull();
  });
  it('ignores installation-wide permissions of the role outside default', () => expect(assignmentRefusal({ ...facts, role: role('with-license', ['ApproveActions', 'ViewLicense']) })).toBeNull());
});

describe('explainAccess', () => {
  const base: ExplainFacts = {
    user: user(),
    tenant: { id: 'acme', slug: 'acme' },
    defaultTenant: { id: 'default', slug: 'default' },
    defaultVisible: true,
    assignments: [{ tenantId: 'acme', tenantSlug: 'acme', role: role('admin', ['ManageTenants', 'ViewUsers'], null, false), assignedAt: '2026-01-01T00:00:00.000Z', assignedBy: null, endsAt: null, thenRole: null }],
    roles: [role('admin', ['ManageTenants', 'ViewUsers'])],
    holders: new Map(),
    events: [],
    twoFactorEnrollmentRequired: false,
    permissions: ['ManageTenants', 'ViewUsers'],
  };

  it('says an installation-wide permission held in the tenant only counts in default, then why it is refused there', () => {
    const [tenants, users] = explainAccess(base).permissions;
    expect(tenants).toMatchObject({ granted: false, tenant: { slug: 'default' }, grantedBy: null });
    expect(tenants!.reasons.map((reason) => reason.code)).toEqual(['INSTALLATION_WIDE_ONLY_IN_DEFAULT', 'NO_ROLE_IN_TENANT']);
    expect(users).toMatchObject({ granted: true, timeBound: false, reasons: [] });
  });

  it('refuses everything to a suspended user who must also change their password, keeping the granting assignment', () => {
    const [, users] = explainAccess({ ...base, user: user({ status: 'suspended', mustChangePassword: true }) }).permissions;
    expect(users).toMatchObject({ granted: false, grantedBy: { role: { id: 'admin' } } });
    expect(users!.reasons.map((reason) => reason.code)).toEqual(['USER_SUSPENDED', 'PASSWORD_CHANGE_REQUIRED']);
  });

  it('holds no account without a password to 2FA enrolment (it signs in through single sign-on)', () => {
    const [, required] = explainAccess({ ...base, twoFactorEnrollmentRequired: true }).permissions;
    expect(required!.reasons.map((reason) => reason.code)).toEqual(['TWO_FACTOR_ENROLLMENT_REQUIRED']);
    const [, exempt] = explainAccess({ ...base, twoFactorEnrollmentRequired: true, user: user({ passwordHash: NO_PASSWORD_HASH }) }).permissions;
    expect(exempt!.granted).toBe(true);
  });
});

describe('accessReviewFindings', () => {
  it('finds a user never signed in only when the account is older than the stale period', () => {
    const member = (createdAt: string) => ({ user: user({ id: createdAt, createdAt }), role: { id: 'viewer', name: 'Viewer', builtIn: true }, twoFactorEnabled: false });
    const findings = accessReviewFindings({
      now: '2026-06-01T00:00:00.000Z',
      staleBefore: '2026-03-01T00:00:00.000Z',
      staleFor: '90 days',
      members: [member('2026-01-01T00:00:00.000Z'), member('2026-05-01T00:00:00.000Z')],
      tokens: [],
      unheldRoles: [],
      orphans: [],
    });
    expect(findings.map((finding) => [finding.kind, finding.subject.id])).toEqual([['user_never_signed_in', '2026-01-01T00:00:00.000Z']]);
    expect(findings[0]!.detail).toContain('more than 90 days ago');
  });
});

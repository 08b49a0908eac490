import { installationWidePermissions, type Permission } from '../permissions.ts';
import type { Role } from '../roles/role.ts';
import { hasUsablePassword } from '../users/passwords.ts';
import type { StoredUser } from '../users/user.ts';
import type { AssignmentFact, HolderFact, PersonRef, RoleAssignedEventFact } from './governance-store.ts';
import { assignmentRefusal, permissionsGrantedIn } from './guards.ts';

/**
 * Explain access: for one user and one permission (or every permission), whether they hold it
 * in the tenant the question is asked in, through which assignment, since when and from whom;
 * and when they don't, why, and which role would grant it and who may give them that role.
 *
 * A pure function of facts the service loaded in a constant number of statements
 * (explain-service.ts). It answers with the same rules a request meets: authenticate.ts (a
 * suspended account, a password to change, a Require 2FA enrolment), AccessService (one role
 * per tenant, installation-wide permissions only through `default`) and AccessGuards (who may
 * assign a role: `assignmentRefusal`).
 *
 * A time-bound assignment (an elevation in force, src/domain/roles/role-elevation.ts) is the
 * role in force while it lasts: the answer says so (`timeBound`, `endsAt`) and names the role
 * that applies again at its end.
 */

/** How many of the people who may assign a role an answer names; `assignableByCount` has them all. */
export const ASSIGNERS_LISTED = 25;

export type ExplainReasonCode =
  | 'NO_ROLE_IN_TENANT'
  | 'ROLE_LACKS_PERMISSION'
  | 'INSTALLATION_WIDE_ONLY_IN_DEFAULT'
  | 'USER_SUSPENDED'
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'TWO_FACTOR_ENROLLMENT_REQUIRED'
  | 'DEFAULT_TENANT_NOT_VISIBLE';

export interface ExplainReason {
  code: ExplainReasonCode;
  message: string;
}

export interface TenantRef {
  id: string;
  slug: string;
}

/** The assignment whose role holds the permission. */
export interface GrantingAssignment {
  tenant: TenantRef;
  role: { id: string; name: string; builtIn: boolean };
  assignedAt: string;
  /** From the assignment itself: who made it (null: the installation, or a user since deleted). */
  assignedBy: { id: string; email: string | null } | null;
  /** The newest `role.assigned` event about the user in that tenant, from the audit trail. */
  auditEvent: { id: string; occurredAt: string; actorId: string | null; actorEmail: string | null; role: string | null } | null;
  /** An elevation: it grants until `endsAt`, then `thenRole` applies again. */
  timeBound: boolean;
  endsAt: string | null;
  thenRole: { id: string; name: string } | null;
}

/** A role that would grant the permission, and the people who may give it to the user. */
export interface RoleOffer {
  role: { id: string; name: string; builtIn: boolean; scope: 'global' | 'tenant' };
  /** Active users who may assign it to this user there (AccessGuards' rules), by email; the first ASSIGNERS_LISTED. */
  assignableBy: PersonRef[];
  assignableByCount: number;
}

export interface PermissionExplanation {
  permission: Permission;
  installationWide: boolean;
  /** Where the permission is decided: the tenant asked about, or `default` for installation-wide ones. */
  tenant: TenantRef;
  /** null: decided in `default`, where the caller may not see the user's role. */
  granted: boolean | null;
  /** The assignment deciding it (where it is decided) is time-bound: what it answers holds until that assignment's end. */
  timeBound: boolean;
  /** The assignment whose role holds it; present too when something else (suspension, 2FA) refuses it. */
  grantedBy: GrantingAssignment | null;
  /** Empty when granted; the first is the main reason. */
  reasons: ExplainReason[];
  /** When the role is the obstacle: the roles that hold the permission there, and who may assign each. */
  wouldGrant: RoleOffer[];
}

export interface AccessExplanation {
  user: { id: string; email: string; displayName: string; status: StoredUser['status'] };
  /** The tenant the question was asked in (the request's). */
  tenant: TenantRef;
  /** The user's assignment in the tenant asked about is time-bound (an elevation in force). */
  timeBound: boolean;
  permissions: PermissionExplanation[];
}

/** Everything the answer is computed from; see ExplainService for how each is read. */
export interface ExplainFacts {
  user: StoredUser;
  tenant: TenantRef;
  defaultTenant: TenantRef;
  /** The caller may see the user's role in `default` (ViewUsers there). */
  defaultVisible: boolean;
  assignments: readonly AssignmentFact[];
  /** Roles visible in the tenant asked about, in `default` and in the user's home tenant. */
  roles: readonly Role[];
  /** Per tenant where permissions are decided: the active holders of a role with AssignRoles there, with their roles there and in the user's home. */
  holders: ReadonlyMap<string, readonly HolderFact[]>;
  events: readonly RoleAssignedEventFact[];
  /** Authenticate.ts would hold them to enrol in 2FA first (a Require 2FA policy or an admin's reset). */
  twoFactorEnrollmentRequired: boolean;
  permissions: readonly Permission[];
}

export function explainAccess(facts: ExplainFacts): AccessExplanation {
  const { user, tenant, defaultTenant } = facts;
  const rolesById = new Map(facts.roles.map((role) => [role.id, role]));
  const assignmentIn = new Map(facts.assignments.map((assignment) => [assignment.tenantId, assignment]));
  const eventIn = new Map(facts.events.map((event) => [event.tenantId, event]));
  const blockers = accountBlockers(facts);
  const offersByTenant = new Map<string, ReturnType<typeof offersIn>>();

  const explainOne = (permission: Permission): PermissionExplanation => {
    const installationWide = installationWidePermissions.has(permission);
    const decidedIn = installationWide ? defaultTenant : tenant;
    const inDefault = decidedIn.id === defaultTenant.id;
    const base = { permission, installationWide, tenant: decidedIn, timeBound: assignmentIn.get(decidedIn.id)?.endsAt != null };
    if (decidedIn.id !== tenant.id && !facts.defaultVisible) {
      return {
        ...base,
        granted: null,
        grantedBy: null,
        reasons: [
          {
            code: 'DEFAULT_TENANT_NOT_VISIBLE',
            message: `${permission} is installation-wide: it is decided by the user's role in tenant "${defaultTenant.slug}", which you can't see (you need ViewUsers there).`,
          },
        ],
        wouldGrant: [],
      };
    }
    const assignment = assignmentIn.get(decidedIn.id);
    const held = assignment ? permissionsGrantedIn(assignment.role, inDefault) : undefined;
    const reasons: ExplainReason[] = [];
    if (!held?.has(permission)) {
      const here = assignmentIn.get(tenant.id);
      if (installationWide && tenant.id !== defaultTenant.id && here && permissionsGrantedIn(here.role, true).has(permission)) {
        reasons.push({
          code: 'INSTALLATION_WIDE_ONLY_IN_DEFAULT',
          message: `${permission} is installation-wide: it only counts through the role in tenant "${defaultTenant.slug}", so the role ${here.role.name} in "${tenant.slug}" doesn't grant it.`,
        });
      }
      reasons.push(
        assignment
          ? { code: 'ROLE_LACKS_PERMISSION', message: `The role ${assignment.role.name}, held in tenant "${decidedIn.slug}", doesn't include ${permission}.` }
          : { code: 'NO_ROLE_IN_TENANT', message: `${user.email} has no role in tenant "${decidedIn.slug}"${installationWide ? `, where ${permission} (installation-wide) is decided` : ''}.` },
      );
    }
    reasons.push(...blockers);
    let wouldGrant: RoleOffer[] = [];
    if (!held?.has(permission)) {
      let offers = offersByTenant.get(decidedIn.id);
      if (!offers) offersByTenant.set(decidedIn.id, (offers = offersIn(facts, rolesById, decidedIn, inDefault, held)));
      wouldGrant = offers.filter((entry) => entry.role.id !== assignment?.role.id && entry.grants.has(permission)).map((entry) => entry.offer);
    }
    const event = eventIn.get(decidedIn.id);
    return {
      ...base,
      granted: reasons.length === 0,
      grantedBy:
        assignment && held?.has(permission)
          ? {
              tenant: { id: assignment.tenantId, slug: assignment.tenantSlug },
              role: { id: assignment.role.id, name: assignment.role.name, builtIn: assignment.role.builtIn },
              assignedAt: assignment.assignedAt,
              assignedBy: assignment.assignedBy,
              auditEvent: event ? { id: event.eventId, occurredAt: event.occurredAt, actorId: event.actorId, actorEmail: event.actorEmail, role: event.roleName } : null,
              timeBound: assignment.endsAt !== null,
              endsAt: assignment.endsAt,
              thenRole: assignment.thenRole,
            }
          : null,
      reasons,
      wouldGrant,
    };
  };

  return {
    user: { id: user.id, email: user.email, displayName: user.displayName, status: user.status },
    tenant,
    timeBound: assignmentIn.get(tenant.id)?.endsAt != null,
    permissions: facts.permissions.map(explainOne),
  };
}

/** What refuses every permission, whatever the role: the gates of authenticate.ts, in its order. */
function accountBlockers(facts: ExplainFacts): ExplainReason[] {
  const { user } = facts;
  const reasons: ExplainReason[] = [];
  if (user.status === 'suspended') {
    reasons.push({ code: 'USER_SUSPENDED', message: `${user.email} is suspended: their sessions and tokens don't work until someone with ManageUsers reactivates them.` });
  }
  // A session opened through single sign-on, and an account without a password, are exempt from both.
  if (user.mustChangePassword && hasUsablePassword(user.passwordHash)) {
    reasons.push({ code: 'PASSWORD_CHANGE_REQUIRED', message: `${user.email} must change their password first (signed in with it, they can do nothing else until then).` });
  }
  if (facts.twoFactorEnrollmentRequired && hasUsablePassword(user.passwordHash)) {
    reasons.push({
      code: 'TWO_FACTOR_ENROLLMENT_REQUIRED',
      message: `${user.email} must enrol in two-factor authentication first (a Require 2FA policy of "${facts.tenant.slug}" or their home tenant, or an admin's 2FA reset); until then password sign-ins can do nothing else.`,
    });
  }
  return reasons;
}

/**
 * Per tenant where permissions are decided: each role visible there with what it grants there
 * and who may assign it to the user. Computed once per tenant, whatever the number of
 * permissions asked: who may assign a role doesn't depend on the permission.
 */
function offersIn(facts: ExplainFacts, rolesById: ReadonlyMap<string, Role>, decidedIn: TenantRef, inDefault: boolean, userHeld: ReadonlySet<Permission> | undefined) {
  const home = facts.user.homeTenantId;
  const homeIsDefault = home === facts.defaultTenant.id;
  const grants = new Map<string, ReadonlySet<Permission>>();
  const grantedBy = (role: Role, where: boolean) => {
    const key = `${where ? 1 : 0}${role.id}`;
    let set = grants.get(key);
    if (!set) grants.set(key, (set = permissionsGrantedIn(role, where)));
    return set;
  };
  // Each candidate's holdings where the role would be given and in the user's home.
  const candidates = new Map<string, { person: PersonRef; there?: Role; atHome?: Role }>();
  for (const holder of facts.holders.get(decidedIn.id) ?? []) {
    const entry = candidates.get(holder.user.id) ?? { person: holder.user };
    if (holder.tenantId === decidedIn.id) entry.there = rolesById.get(holder.roleId);
    if (holder.tenantId === home) entry.atHome = rolesById.get(holder.roleId);
    candidates.set(holder.user.id, entry);
  }
  const noPermissions: ReadonlySet<Permission> = new Set();
  return facts.roles
    .filter((role) => role.tenantId === null || role.tenantId === decidedIn.id)
    .map((role) => {
      const assigners = [...candidates.values()].filter(
        (candidate) =>
          candidate.there !== undefined &&
          assignmentRefusal({
            assignerId: candidate.person.id,
            assignerHeld: grantedBy(candidate.there, inDefault),
            assignerHeldAtUserHome: candidate.atHome ? grantedBy(candidate.atHome, homeIsDefault) : noPermissions,
            userId: facts.user.id,
            userHeld,
            role,
            inDefault,
          }) === null,
      );
      const offer: RoleOffer = {
        role: { id: role.id, name: role.name, builtIn: role.builtIn, scope: role.tenantId === null ? 'global' : 'tenant' },
        assignableBy: assigners.slice(0, ASSIGNERS_LISTED).map((candidate) => candidate.person),
        assignableByCount: assigners.length,
      };
      return { role, grants: grantedBy(role, inDefault), offer };
    });
}

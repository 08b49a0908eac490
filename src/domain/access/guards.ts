import { installationWidePermissions, type Permission } from '../permissions.ts';
import { ADMIN_ROLE_ID, normalizeRoleName, type Role } from '../roles/role.ts';
import type { RoleAssignment } from '../roles/role-store.ts';
import type { AccessRequest } from './access-request.ts';
import { DEFAULT_TENANT_SLUG, type Tenant } from '../tenants/tenant.ts';
import { normalizeEmail, type StoredUser } from '../users/user.ts';
import type { Actor } from '../context.ts';
import type { Store } from '../store.ts';
import { permissionsOfRole, type AccessService } from './access-service.ts';
import { fail } from '../error-catalogue.ts';

/**
 * Who may change whom: every rule that protects a change to a user, a role, an assignment or a
 * membership lives here, and nowhere else (ZITADEL's permission_checks.go). Services call these
 * before they write; routes never decide these questions.
 *
 * - `may…` answers one kind of change as a whole: it loads what the change is about (inside the
 *   caller's transaction, through the store it is given), applies every rule below in a fixed
 *   order and returns what it loaded, or throws the first refusal.
 * - `guard…` is one rule. The composites are made of them; a new path that changes a user,
 *   role, assignment or membership calls a composite (or adds one here).
 *
 * The rules:
 * 1. The route's permission, again, in the tenant it is evaluated in (`require`).
 * 2. Tenant isolation: a user, role or tenant the caller can't see is "not found".
 * 3. No self-change where it would lock the caller out (own role, suspend, delete, move).
 * 4. No escalation: nobody grants (or takes away, through a role's content) a permission they
 *    don't hold in that tenant (Kubernetes' rule; installation-wide permissions are inert
 *    outside `default` and need not be held there).
 * 5. Not more privileged: nobody changes the assignment of someone holding permissions they
 *    don't hold in that tenant, nor the account (status, credentials, identity) of someone
 *    holding, in any tenant, permissions they don't hold there — whoever controls an account
 *    acts with its roles everywhere.
 * 6. Last Admin: the last active Admin of `default` can't be demoted, removed, suspended,
 *    moved out or deleted. Only permanent Admins count: a time-bound Admin (an elevation) is
 *    about to lose the role by itself, so it never leaves the installation an Admin to rely on;
 *    and giving the last permanent Admin a time-bound other role is a demotion while it lasts,
 *    so a permanent Admin under a time-bound other role doesn't count until it ends.
 * 7. Access requests: decided only by holders of AssignRoles in the request's tenant (another
 *    tenant's request is "not found"), never by the requester, and an approval is the
 *    time-bound assignment of `mayAssignRole` itself (escalation, more privileged, last Admin),
 *    no longer than the tenant's Sophon:Rbac:MaxElevation nor than the duration asked.
 */
export class AccessGuards {
  readonly #access: AccessService;

  constructor(access: AccessService) {
    this.#access = access;
  }

  // ---- composites --------------------------------------------------------------------------

  /** Creating a user in a tenant with a role: ManageUsers there, and no escalation through the role. */
  async mayCreateUser(store: Store, actor: Actor, tenant: Tenant, roleReference: string): Promise<Role> {
    await this.#access.require(actor, 'ManageUsers', tenant.id, store);
    const role = await resolveRole(store, tenant.id, roleReference);
    await this.guardNoEscalation(store, actor, permissionsOfRole(role), tenant.id);
    return role;
  }

  /**
   * Reading or changing what hangs off an account the caller manages (its sessions, tokens,
   * lockout, avatar): ManageUsers in the tenant the request acts in and in the user's home
   * tenant; a user outside the acting tenant is "not found".
   */
  async mayReadAccount(store: Store, actor: Actor, userId: string): Promise<StoredUser> {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
    const user = await loadVisible(store, actor, userId);
    await this.#access.require(actor, 'ManageUsers', user.homeTenantId, store);
    return user;
  }

  /**
   * Changing another user's account — status, credentials, sessions, tokens, identity, profile:
   * `mayReadAccount`, and the caller holds everything the user holds in every tenant they belong
   * to. One's own account passes the second rule (self-service has its own routes and checks).
   */
  async mayManageAccount(store: Store, actor: Actor, userId: string): Promise<StoredUser> {
    const user = await this.mayReadAccount(store, actor, userId);
    if (user.id !== actor.userId) await this.guardNotMorePrivilegedAnywhere(store, actor, user.id);
    return user;
  }

  /**
   * Revoking an API token through the admin route: ManageUsers where the request acts; another
   * user's token is `mayManageAccount` of its owner, and one whose owner the caller can't see
   * doesn't exist for them.
   */
  async mayRevokeToken(store: Store, actor: Actor, token: { id: string; userId: string } | undefined, tokenId: string): Promise<{ id: string; userId: string }> {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
    const missing = () => fail('TOKEN_NOT_FOUND', { tokenId });
    if (!token) throw missing();
    if (token.userId === actor.userId) return token;
    await this.mayManageAccount(store, actor, token.userId).catch((error: unknown) => {
      throw error instanceof Error && 'kind' in error && error.kind === 'not_found' ? missing() : error;
    });
    return token;
  }

  /** Suspending or re-activating: `mayManageAccount`; suspension also never of oneself nor of the last Admin. */
  async maySetStatus(store: Store, actor: Actor, userId: string, status: 'active' | 'suspended'): Promise<StoredUser> {
    if (status === 'suspended') this.guardNotSelf(actor, userId, 'suspend');
    const user = await this.mayManageAccount(store, actor, userId);
    if (status === 'suspended' && user.status !== 'suspended') await this.guardLastAdmin(store, user.id, 'everywhere');
    return user;
  }

  /** Deleting: `mayManageAccount`, never oneself, never the last Admin. */
  async mayDeleteUser(store: Store, actor: Actor, userId: string): Promise<StoredUser> {
    this.guardNotSelf(actor, userId, 'delete');
    const user = await this.mayManageAccount(store, actor, userId);
    await this.guardLastAdmin(store, user.id, 'everywhere');
    return user;
  }

  /**
   * Setting a user's one role in a tenant (adding them to it if they weren't a member): AssignRoles
   * there; never one's own role; a user of another tenant exists for the caller only if the caller
   * manages them at home, and adding a member is user management too (ManageUsers); no escalation
   * through the role; not over someone more privileged there; not the last Admin's demotion.
   * `timeBound`: the role is an elevation over the member's permanent one (role-elevation.ts), so
   * only a member can be given one.
   */
  async mayAssignRole(
    store: Store,
    actor: Actor,
    userReference: string,
    roleReference: string,
    tenantId: string,
    timeBound = false,
  ): Promise<{ user: StoredUser; role: Role; current: RoleAssignment | undefined }> {
    await this.#access.require(actor, 'AssignRoles', tenantId, store);
    const user = await findUser(store, userReference);
    if (!user) throw userNotFound(userReference);
    const current = await store.assignments.get(tenantId, user.id);
    if (!current && !(await this.#access.holds(actor, 'ManageUsers', user.homeTenantId, store))) throw userNotFound(userReference);
    this.guardNotSelf(actor, user.id, 'role');
    if (timeBound && !current) throw fail('ELEVATION_NEEDS_MEMBERSHIP', { slug: (await store.tenants.getById(tenantId))?.slug ?? tenantId });
    if (!current) await this.#access.require(actor, 'ManageUsers', tenantId, store);
    const role = await resolveRole(store, tenantId, roleReference);
    await this.guardNoEscalation(store, actor, permissionsOfRole(role), tenantId);
    if (current) await this.guardNotMorePrivileged(store, actor, user.id, tenantId);
    if (current?.roleId === ADMIN_ROLE_ID && role.id !== ADMIN_ROLE_ID) await this.guardLastAdmin(store, user.id, tenantId);
    return { user, role, current };
  }

  /**
   * Deciding (approving or denying) an access request: AssignRoles in the tenant the request acts
   * in; a request of another tenant is "not found"; never one's own; only a pending one. What an
   * approval then assigns is held to `mayAssignRole` (time-bound) and `guardElevationWithinMaximum`.
   */
  async mayDecideAccessRequest(store: Store, actor: Actor, request: AccessRequest | undefined, requestId: string): Promise<AccessRequest> {
    await this.#access.require(actor, 'AssignRoles', actor.tenantId, store);
    if (!request || request.tenantId !== actor.tenantId) throw fail('ACCESS_REQUEST_NOT_FOUND', { requestId: requestId.slice(0, 100) });
    if (request.userId === actor.userId) throw fail('ACCESS_REQUEST_OWN');
    if (request.status !== 'pending') throw fail('ACCESS_REQUEST_DECIDED', { status: request.status });
    return request;
  }

  /** A time-bound role no longer than the tenant's maximum (Sophon:Rbac:MaxElevation): what an approval may grant. */
  guardElevationWithinMaximum(durationMs: number, maximumMs: number, tenantSlug: string): void {
    if (elevationBeyondMaximum(durationMs, maximumMs)) {
      throw fail('ELEVATION_TOO_LONG', { slug: tenantSlug, maximum: describeDuration(maximumMs), asked: describeDuration(durationMs) }, { maximumSeconds: maximumMs / 1000 });
    }
  }

  /**
   * An approval grants the duration asked or a shorter one the approver gives, never longer: the
   * requester asked (and gave their reason) for that long (docs/api.md, docs/cli.md).
   */
  guardApprovalWithinRequest(durationMs: number, askedMs: number): void {
    if (durationMs > askedMs) {
      throw fail('ASSIGNMENT_END_INVALID', { problem: `an approval grants at most the duration asked (${describeDuration(askedMs)}); ${describeDuration(durationMs)} is longer` });
    }
  }

  /** Taking a user's role (and membership) in a tenant away: AssignRoles there, not oneself, not their home, not over someone more privileged, not the last Admin. */
  async mayRemoveMembership(store: Store, actor: Actor, userId: string, tenantId: string): Promise<{ user: StoredUser; current: RoleAssignment | undefined }> {
    await this.#access.require(actor, 'AssignRoles', tenantId, store);
    const user = await store.users.getInTenant(tenantId, userId);
    if (!user) throw userNotFound(userId);
    this.guardNotSelf(actor, user.id, 'role');
    if (user.homeTenantId === tenantId) {
      throw fail('HOME_TENANT_MEMBERSHIP');
    }
    const current = await store.assignments.get(tenantId, user.id);
    await this.guardNotMorePrivileged(store, actor, user.id, tenantId);
    if (current?.roleId === ADMIN_ROLE_ID) await this.guardLastAdmin(store, user.id, tenantId);
    return { user, current };
  }

  /**
   * Moving a user's home to another tenant. Their data and their home membership go with them,
   * so it is an account change (`mayManageAccount`, not oneself, not the last Admin out of their
   * home) and an assignment in the destination: ManageUsers and AssignRoles there, no escalation
   * through the role they get. A role they already hold in the destination is kept unless another
   * is asked for, and then changing it is held to the rules of `mayAssignRole` there.
   */
  async mayMoveUser(
    store: Store,
    actor: Actor,
    userId: string,
    destination: Tenant,
    roleReference: string | undefined,
  ): Promise<{ user: StoredUser; role: Role; keptExisting: boolean; homeAssignment: RoleAssignment | undefined; existing: RoleAssignment | undefined }> {
    this.guardNotSelf(actor, userId, 'move');
    const user = await this.mayManageAccount(store, actor, userId);
    if (user.homeTenantId === destination.id) throw fail('ALREADY_IN_TENANT', { slug: destination.slug });
    await this.#access.require(actor, 'ManageUsers', destination.id, store);
    await this.#access.require(actor, 'AssignRoles', destination.id, store);
    const [homeAssignment, existing] = await Promise.all([store.assignments.get(user.homeTenantId, user.id), store.assignments.get(destination.id, user.id)]);
    if (homeAssignment?.roleId === ADMIN_ROLE_ID) await this.guardLastAdmin(store, user.id, user.homeTenantId);
    let role: Role;
    if (roleReference === undefined && existing) {
      const held = await store.roles.getById(existing.roleId);
      if (!held) throw new Error(`assignment of ${user.id} in ${destination.id} names a missing role ${existing.roleId}`);
      return { user, role: held, keptExisting: true, homeAssignment, existing };
    }
    if (roleReference === undefined) {
      // Keep the home role when it can live in the destination (built-in or global); a tenant-only role can't follow.
      const homeRole = homeAssignment ? await store.roles.getById(homeAssignment.roleId) : undefined;
      role = await resolveRole(store, destination.id, homeRole && homeRole.tenantId === null ? homeRole.id : 'Viewer');
    } else {
      role = await resolveRole(store, destination.id, roleReference);
    }
    await this.guardNoEscalation(store, actor, permissionsOfRole(role), destination.id);
    if (existing && existing.roleId !== role.id) {
      await this.guardNotMorePrivileged(store, actor, user.id, destination.id);
      if (existing.roleId === ADMIN_ROLE_ID) await this.guardLastAdmin(store, user.id, destination.id);
    }
    return { user, role, keptExisting: existing?.roleId === role.id, homeAssignment, existing };
  }

  /**
   * The installation's way back into a tenant (PUT /tenants/:tenant/members/:user): holders of
   * ManageTenants and AssignRoles, both evaluated in `default`, set anyone's role in any tenant. It
   * is the same change as `mayAssignRole` with the caller's authority taken from `default`: no
   * escalation beyond what they hold there, not over someone holding more there than they hold in
   * `default`, not the last Admin's demotion. They may give themselves a role (a tenant whose own
   * admins removed everyone else is never lost) but not lower their own; nor, while their
   * authority in `default` is time-bound, give themselves any (it would outlast that authority).
   */
  async maySetMemberRoleAsInstallation(
    store: Store,
    actor: Actor,
    tenantReference: string,
    userReference: string,
    roleReference: string,
    timeBound = false,
  ): Promise<{ tenant: Tenant; user: StoredUser; role: Role; previous: Role | undefined; home: Tenant }> {
    const home = await this.#access.defaultTenant(store);
    await this.#access.require(actor, 'ManageTenants', home.id, store);
    await this.#access.require(actor, 'AssignRoles', home.id, store);
    const tenant = (await store.tenants.getBySlug(tenantReference)) ?? (await store.tenants.getById(tenantReference));
    if (!tenant) throw fail('TENANT_NOT_FOUND', { tenant: tenantReference.slice(0, 100) });
    const user = await findUser(store, userReference);
    if (!user) throw userNotFound(userReference.slice(0, 100));
    const role = await resolveRole(store, tenant.id, roleReference);
    const previous = await this.#access.roleIn(user.id, tenant.id, store);
    if (timeBound && !previous) throw fail('ELEVATION_NEEDS_MEMBERSHIP', { slug: tenant.slug });
    await this.guardNoEscalation(store, actor, permissionsOfRole(role), home.id);
    if (user.id === actor.userId) {
      const lowered = previous ? permissionsOfRole(previous).filter((permission) => !permissionsOfRole(role).includes(permission)) : [];
      if (lowered.length > 0) throw ownChangeRefusal('role');
      // Authority that ends (a time-bound role in default) can't give itself a role that outlasts it:
      // that would make the elevation permanent, here or in any tenant.
      if ((await this.#access.roleWithTermIn(actor.userId, home.id, store))?.endsAt) throw ownChangeRefusal('role');
    } else if (previous) {
      await this.guardNotMorePrivileged(store, actor, user.id, tenant.id, home.id);
    }
    if (previous?.id === ADMIN_ROLE_ID && role.id !== ADMIN_ROLE_ID) await this.guardLastAdmin(store, user.id, tenant.id);
    return { tenant, user, role, previous, home };
  }

  /** Creating a custom role: ManageRoles where it is governed, and only permissions the caller holds there. */
  async mayCreateRole(store: Store, actor: Actor, governedIn: string, permissions: readonly Permission[]): Promise<void> {
    await this.#access.require(actor, 'ManageRoles', governedIn, store);
    await this.guardNoEscalation(store, actor, permissions, governedIn);
  }

  /**
   * Editing a custom role changes what every holder may do: ManageRoles where it is governed, not
   * built in, and every permission added *or taken away* must be one the caller holds there —
   * removing a permission from a role is removing it from its holders.
   */
  async mayEditRole(store: Store, actor: Actor, role: Role, permissions: readonly Permission[]): Promise<void> {
    const governedIn = await this.roleGovernedIn(store, role);
    await this.#access.require(actor, 'ManageRoles', governedIn, store);
    if (role.builtIn) throw builtInRefusal(role);
    const changed = [
      ...permissions.filter((permission) => !role.permissions.includes(permission)),
      ...role.permissions.filter((permission) => !permissions.includes(permission)),
    ];
    await this.guardNoEscalation(store, actor, changed, governedIn);
  }

  /** Deleting a custom role: ManageRoles where it is governed, not built in (holders are checked by the service: a role in use can't go). */
  async mayDeleteRole(store: Store, actor: Actor, role: Role): Promise<void> {
    await this.#access.require(actor, 'ManageRoles', await this.roleGovernedIn(store, role), store);
    if (role.builtIn) throw builtInRefusal(role);
  }

  /** A global role applies in every tenant, so it is governed from the installation's home, `default`. */
  async roleGovernedIn(store: Store, role: Pick<Role, 'tenantId'>): Promise<string> {
    return role.tenantId ?? (await this.#access.defaultTenantId(store));
  }

  // ---- rules ---------------------------------------------------------------------------------

  /**
   * Kubernetes' escalation rule: an actor may only put into a role, or hand out through a role,
   * permissions they hold themselves in that tenant. Installation-wide permissions only count in
   * `default`, so elsewhere they are inert and need not be held (the seed's compliance-auditor,
   * with ViewLicense, can be made in any tenant).
   *
   * A time-bound role lends its permissions for acting, not for granting: what an actor may hand
   * out is what they hold now *and* through their permanent assignment, so nothing they grant
   * (an assignment, a user created with a role, a role's permissions) outlives their elevation.
   * Without an elevation the two are the same.
   */
  async guardNoEscalation(store: Store, actor: Pick<Actor, 'userId'>, permissions: readonly Permission[], tenantId: string): Promise<void> {
    const held = await this.#access.grantablePermissionsOf(actor, tenantId, store);
    const lacking = permissionsLackingToGrant(held, permissions, tenantId === (await this.#access.defaultTenantId(store)));
    if (lacking.length > 0) {
      throw fail('PRIVILEGE_ESCALATION', { lacking: lacking.join(', ') }, {
        permissionsNotHeld: lacking,
      });
    }
  }

  /**
   * Nobody demotes, removes or otherwise changes the assignment of someone who holds permissions
   * they don't hold themselves in that tenant: a user with AssignRoles alone can't unseat an Admin.
   * `authorityIn` is where the caller's own permissions are read (the tenant itself, or `default`
   * for the installation's route).
   */
  async guardNotMorePrivileged(store: Store, actor: Pick<Actor, 'userId'>, userId: string, tenantId: string, authorityIn: string = tenantId): Promise<void> {
    const beyond = await this.permissionsBeyond(store, actor, userId, tenantId, authorityIn);
    if (beyond.length > 0) {
      throw fail('TARGET_MORE_PRIVILEGED', { where: 'this tenant', permissions: beyond.join(', ') }, {
        permissionsNotHeld: beyond,
      });
    }
  }

  /** `guardNotMorePrivileged` in every tenant the user belongs to: for changes to the account itself. */
  async guardNotMorePrivilegedAnywhere(store: Store, actor: Pick<Actor, 'userId'>, userId: string): Promise<void> {
    for (const assignment of await store.assignments.listForUser(userId)) {
      const beyond = await this.permissionsBeyond(store, actor, userId, assignment.tenantId);
      if (beyond.length === 0) continue;
      const slug = (await store.tenants.getById(assignment.tenantId))?.slug ?? assignment.tenantId;
      throw fail('TARGET_MORE_PRIVILEGED', { where: `tenant "${slug}"`, permissions: beyond.join(', ') }, { permissionsNotHeld: beyond, tenant: slug });
    }
  }

  /** What the user holds in the tenant that the actor doesn't (the actor's holding read in `authorityIn`). */
  async permissionsBeyond(store: Store, actor: Pick<Actor, 'userId'>, userId: string, tenantId: string, authorityIn: string = tenantId): Promise<Permission[]> {
    const [theirs, held] = await Promise.all([this.#access.permissionsIn(userId, tenantId, store), this.#access.permissionsOf(actor, authorityIn, store)]);
    return permissionsNotHeld(theirs, held);
  }

  /**
   * The last active Admin of `default` can't lose that role: someone must be able to administer
   * the installation. `tenantId` is the tenant whose Admin role the change takes away
   * ('everywhere' for suspension and deletion); changes elsewhere than `default` pass.
   * Another permanent Admin counts only while Admin is the role in force for them: one given a
   * time-bound other role is no Admin until it ends. Their roles are read after listActiveHolders
   * has locked the permanent Admins' rows, so a concurrent time-bound demotion of the other Admin,
   * committed while this one waited for the lock, is seen.
   */
  async guardLastAdmin(store: Store, userId: string, tenantId: string | 'everywhere'): Promise<void> {
    const home = await this.#access.defaultTenantId(store);
    if (tenantId !== 'everywhere' && tenantId !== home) return;
    const admins = await store.assignments.listActiveHolders(home, ADMIN_ROLE_ID);
    if (!admins.includes(userId)) return;
    for (const other of admins) {
      if (other !== userId && (await this.#access.roleIn(other, home, store))?.id === ADMIN_ROLE_ID) return;
    }
    throw fail('LAST_ADMIN', { DEFAULT_TENANT_SLUG });
  }

  /** Changes that would lock the caller out of their own account or authority go through another admin. */
  guardNotSelf(actor: Pick<Actor, 'userId'>, userId: string, change: 'role' | 'suspend' | 'delete' | 'move'): void {
    if (actor.userId === userId) throw ownChangeRefusal(change);
  }
}

// ---- the rules as pure functions of what is already loaded --------------------------------
// The checks above read what they need; a report that answers the same question for many people
// at once (explain access: "who may assign this role?") loads the facts in a few statements and
// asks these. Both paths go through the same functions, so they can't disagree.

/**
 * The escalation rule (`guardNoEscalation`) over loaded facts: what of `permissions` a holder of
 * `held` lacks to put into, or hand out through, a role in a tenant (`inDefault`: that tenant is
 * `default`; elsewhere installation-wide permissions are inert and need not be held).
 */
export function permissionsLackingToGrant(held: ReadonlySet<Permission>, permissions: readonly Permission[], inDefault: boolean): Permission[] {
  const granted = inDefault ? permissions : permissions.filter((permission) => !installationWidePermissions.has(permission));
  return granted.filter((permission) => !held.has(permission));
}

/** The more-privileged rule (`permissionsBeyond`) over loaded facts: what `theirs` holds that `held` doesn't. */
export function permissionsNotHeld(theirs: Iterable<Permission>, held: ReadonlySet<Permission>): Permission[] {
  return [...theirs].filter((permission) => !held.has(permission));
}

/** What a role grants in a tenant: installation-wide permissions only count through the role in `default`. */
export function permissionsGrantedIn(role: Role, inDefault: boolean): ReadonlySet<Permission> {
  return new Set(permissionsOfRole(role).filter((permission) => inDefault || !installationWidePermissions.has(permission)));
}

/** What `assignmentRefusal` needs to know about one would-be assigner and the user they would assign. */
export interface AssignmentFacts {
  assignerId: string;
  /** What the assigner holds in the tenant of the assignment. */
  assignerHeld: ReadonlySet<Permission>;
  /** What the assigner holds in the user's home tenant (asked only when the user isn't a member yet). */
  assignerHeldAtUserHome: ReadonlySet<Permission>;
  userId: string;
  /** What the user holds in the tenant now; undefined when they are no member there. */
  userHeld: ReadonlySet<Permission> | undefined;
  role: Role;
  /** The tenant of the assignment is `default`. */
  inDefault: boolean;
}

/**
 * `mayAssignRole` over loaded facts, for giving a user a role they don't hold yet: the code of the
 * first rule that refuses it, or null when the assigner may. The same rules in the same order:
 * AssignRoles there; not one's own role; a non-member needs ManageUsers at their home and there;
 * no escalation through the role; not over someone more privileged there. (The last-Admin rule
 * only protects taking Admin away, which this never does.)
 */
export function assignmentRefusal(facts: AssignmentFacts): string | null {
  if (!facts.assignerHeld.has('AssignRoles')) return 'PERMISSION_MISSING';
  if (facts.assignerId === facts.userId) return 'CANNOT_CHANGE_OWN_ROLE';
  if (facts.userHeld === undefined && !(facts.assignerHeldAtUserHome.has('ManageUsers') && facts.assignerHeld.has('ManageUsers'))) return 'PERMISSION_MISSING';
  if (permissionsLackingToGrant(facts.assignerHeld, permissionsOfRole(facts.role), facts.inDefault).length > 0) return 'PRIVILEGE_ESCALATION';
  if (facts.userHeld !== undefined && permissionsNotHeld(facts.userHeld, facts.assignerHeld).length > 0) return 'TARGET_MORE_PRIVILEGED';
  return null;
}

/** The maximum-elevation rule (`guardElevationWithinMaximum`) over loaded facts. */
export function elevationBeyondMaximum(durationMs: number, maximumMs: number): boolean {
  return durationMs > maximumMs;
}

/** The longest time-bound role an approval may grant in the tenant: its own Sophon:Rbac:Tenants:<slug>:MaxElevation, else the installation's. */
export function maxElevationFor(settings: { maxElevation?: { installation: number; tenants: Record<string, number> } }, tenantSlug: string): number {
  return settings.maxElevation?.tenants[tenantSlug.toLowerCase()] ?? settings.maxElevation?.installation ?? DEFAULT_MAX_ELEVATION_MS;
}

/** Sophon:Rbac:MaxElevation's default: one day. */
export const DEFAULT_MAX_ELEVATION_MS = 86_400_000;

/** "4 hours", "1 day 2 hours", "90 minutes": a duration in words for a refusal's message. */
export function describeDuration(ms: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  let rest = ms;
  for (const [size, name] of units) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount} ${name}${amount === 1 ? '' : 's'}`);
    rest -= amount * size;
  }
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}

/**
 * Who may approve an access request, over loaded facts: `assignmentRefusal` for the requester
 * (a member: the request is for their own tenant) and the role asked for, by each holder of
 * AssignRoles there, never the requester. The listing and the approvers' mail use this; the
 * approval itself goes through `mayDecideAccessRequest` and `mayAssignRole`, the same rules.
 */
export function mayApproveRefusal(facts: Omit<AssignmentFacts, 'assignerHeldAtUserHome'>): string | null {
  if (facts.assignerId === facts.userId) return 'ACCESS_REQUEST_OWN';
  return assignmentRefusal({ ...facts, assignerHeldAtUserHome: facts.assignerHeld });
}

function ownChangeRefusal(change: 'role' | 'suspend' | 'delete' | 'move') {
  switch (change) {
    case 'role':
      return fail('CANNOT_CHANGE_OWN_ROLE');
    case 'suspend':
      return fail('CANNOT_SUSPEND_SELF');
    case 'delete':
      return fail('CANNOT_DELETE_SELF');
    case 'move':
      return fail('CANNOT_CHANGE_OWN_TENANT');
  }
}

/** A user who belongs to the tenant the request acts in; anyone else is "not found". */
export async function loadVisible(store: Store, actor: Pick<Actor, 'tenantId'>, userId: string): Promise<StoredUser> {
  const user = await store.users.getInTenant(actor.tenantId, userId);
  if (!user) throw userNotFound(userId);
  return user;
}

/** Finds a role usable in a tenant by id or by name (case-insensitive, so `admin` is Admin). */
export async function resolveRole(store: Store, tenantId: string, reference: string): Promise<Role> {
  const wanted = normalizeRoleName(reference);
  const roles = await store.roles.listVisibleIn(tenantId);
  const role = roles.find((candidate) => candidate.id === reference || normalizeRoleName(candidate.name) === wanted);
  if (!role) throw fail('ROLE_NOT_FOUND', { role: reference });
  return role;
}

async function findUser(store: Store, reference: string): Promise<StoredUser | undefined> {
  return reference.includes('@') ? store.users.getByEmail(normalizeEmail(reference)) : store.users.getById(reference);
}

export function userNotFound(reference: string) {
  return fail('USER_NOT_FOUND', { user: reference, where: 'in this tenant' });
}

function builtInRefusal(role: Role) {
  return fail('ROLE_IS_BUILT_IN', { name: role.name });
}

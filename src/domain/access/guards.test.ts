import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';
import { newId } from '../ids.ts';
import { allPermissions, type Permission } from '../permissions.ts';
import type { Role } from '../roles/role.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { StoredUser } from '../users/user.ts';
import type { Actor } from '../context.ts';
import { DomainError } from '../errors.ts';
import { AccessService } from './access-service.ts';
import { AccessGuards, DEFAULT_MAX_ELEVATION_MS, mayApproveRefusal, maxElevationFor } from './guards.ts';
import { ManualClock } from '../clock.ts';

/**
 * The guards called directly, on a real database of each engine (Immich's medium tests): for
 * each guard, the case it exists for, one "another tenant" case and one "more privileged
 * elsewhere" case.
 */

const actorOf = (user: StoredUser, tenantId: string = user.homeTenantId): Actor => ({
  userId: user.id,
  email: user.email,
  homeTenantId: user.homeTenantId,
  tenantId,
  ip: null,
  userAgent: null,
  sessionId: null,
  tokenId: null,
});

/** The code of the refusal a promise ends with, or 'allowed'. */
async function outcome(attempt: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
    return 'allowed';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe.each(engines)('access guards on %s', (engine) => {
  let fixture: StoreFixture;
  let guards: AccessGuards;
  let home: Tenant;
  let acme: Tenant;
  let globex: Tenant;
  let lesser: Role;
  let everything: Role;
  /** Admin of default (with a second Admin, so the last-Admin rule is not what refuses). */
  let admin: StoredUser;
  /** ManageUsers, AssignRoles, ViewUsers, ManageRoles (global): in default and acme. */
  let manager: StoredUser;
  /** At home in acme as Viewer; Admin of default as a guest: more privileged elsewhere. */
  let dual: StoredUser;
  /** At home in acme with the manager's own role. */
  let peer: StoredUser;
  /** At home in globex, where the manager has no role. */
  let stranger: StoredUser;

  const role = (name: string, permissions: readonly Permission[], tenantId: string | null = null): Role => ({
    id: newId(),
    name,
    description: '',
    tenantId,
    builtIn: false,
    permissions: [...permissions],
    createdAt: at(),
    updatedAt: at(),
  });
  const assign = (userId: string, tenantId: string, roleId: string) => fixture.store.assignments.set({ userId, tenantId, roleId, assignedAt: at(), assignedBy: null });
  const as = (user: StoredUser, tenant: Tenant = home) => actorOf(user, tenant.id);

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    const { store } = fixture;
    await addBuiltInRoles(store);
    home = await addTenant(store, 'default');
    acme = await addTenant(store);
    globex = await addTenant(store);
    lesser = role('lesser', ['ManageUsers', 'AssignRoles', 'ViewUsers', 'ManageRoles']);
    everything = role('everything', allPermissions);
    await store.roles.create(lesser);
    await store.roles.create(everything);
    admin = await addMember(store, home.id, 'admin');
    await addMember(store, home.id, 'admin');
    manager = await addMember(store, home.id, lesser.id);
    await assign(manager.id, acme.id, lesser.id);
    dual = await addMember(store, acme.id, 'viewer');
    await assign(dual.id, home.id, 'admin');
    peer = await addMember(store, acme.id, lesser.id);
    stranger = await addMember(store, globex.id, 'viewer');
    guards = new AccessGuards(new AccessService(store));
  });
  afterAll(() => fixture.close());

  describe('guardNoEscalation', () => {
    it('refuses handing out a permission the actor does not hold in that tenant', async () => {
      expect(await outcome(guards.guardNoEscalation(fixture.store, as(manager), ['ViewUsers'], acme.id))).toBe('allowed');
      expect(await outcome(guards.guardNoEscalation(fixture.store, as(manager), ['ManageAgents'], acme.id))).toBe('PRIVILEGE_ESCALATION');
    });
    it('counts nothing the actor holds in another tenant', async () => {
      expect(await outcome(guards.guardNoEscalation(fixture.store, as(admin), ['ViewUsers'], acme.id))).toBe('PRIVILEGE_ESCALATION');
    });
    it('counts installation-wide permissions only in default', async () => {
      expect(await outcome(guards.guardNoEscalation(fixture.store, as(manager), ['ViewLicense'], acme.id))).toBe('allowed');
      expect(await outcome(guards.guardNoEscalation(fixture.store, as(manager), ['ViewLicense'], home.id))).toBe('PRIVILEGE_ESCALATION');
    });
  });

  describe('guardNotMorePrivileged and guardNotMorePrivilegedAnywhere', () => {
    it('lets an actor act over someone holding no more than they do', async () => {
      expect(await outcome(guards.guardNotMorePrivileged(fixture.store, as(manager), peer.id, acme.id))).toBe('allowed');
      expect(await outcome(guards.guardNotMorePrivilegedAnywhere(fixture.store, as(manager), peer.id))).toBe('allowed');
    });
    it('refuses over someone more privileged in this tenant', async () => {
      expect(await outcome(guards.guardNotMorePrivileged(fixture.store, as(manager), dual.id, home.id))).toBe('TARGET_MORE_PRIVILEGED');
    });
    it('refuses account changes over someone more privileged in another tenant', async () => {
      // In acme the manager holds more than the Viewer `dual`; in default `dual` is Admin.
      expect(await outcome(guards.guardNotMorePrivileged(fixture.store, as(manager), dual.id, acme.id))).toBe('TARGET_MORE_PRIVILEGED');
      const error = await guards.guardNotMorePrivilegedAnywhere(fixture.store, as(manager), dual.id).catch((caught: DomainError) => caught);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).details.tenant).toBeDefined();
    });
    it('reads the installation route caller in default', async () => {
      expect(await outcome(guards.guardNotMorePrivileged(fixture.store, as(admin), peer.id, acme.id, home.id))).toBe('allowed');
      expect(await outcome(guards.guardNotMorePrivileged(fixture.store, as(admin), peer.id, acme.id))).toBe('TARGET_MORE_PRIVILEGED');
    });
  });

  describe('guardLastAdmin', () => {
    it("refuses taking the last active Admin of default away, and nothing else", async () => {
      const fresh = await openTestStore(engine);
      try {
        await addBuiltInRoles(fresh.store);
        const defaultTenant = await addTenant(fresh.store, 'default');
        const other = await addTenant(fresh.store);
        const only = await addMember(fresh.store, defaultTenant.id, 'admin');
        await fresh.store.assignments.set({ userId: only.id, tenantId: other.id, roleId: 'admin', assignedAt: at(), assignedBy: null });
        const freshGuards = new AccessGuards(new AccessService(fresh.store));
        expect(await outcome(freshGuards.guardLastAdmin(fresh.store, only.id, defaultTenant.id))).toBe('LAST_ADMIN');
        expect(await outcome(freshGuards.guardLastAdmin(fresh.store, only.id, 'everywhere'))).toBe('LAST_ADMIN');
        // Another tenant's Admin role is theirs to lose.
        expect(await outcome(freshGuards.guardLastAdmin(fresh.store, only.id, other.id))).toBe('allowed');
        // A suspended second Admin doesn't count.
        await addMember(fresh.store, defaultTenant.id, 'admin', { status: 'suspended' });
        expect(await outcome(freshGuards.guardLastAdmin(fresh.store, only.id, defaultTenant.id))).toBe('LAST_ADMIN');
        await addMember(fresh.store, defaultTenant.id, 'admin');
        expect(await outcome(freshGuards.guardLastAdmin(fresh.store, only.id, defaultTenant.id))).toBe('allowed');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('mayCreateUser', () => {
    it('lets a user manager create a user with a role within their own permissions, and refuses one beyond them', async () => {
      expect(await outcome(guards.mayCreateUser(fixture.store, as(manager, acme), acme, 'lesser'))).toBe('allowed');
      expect(await outcome(guards.mayCreateUser(fixture.store, as(manager, acme), acme, 'Operator'))).toBe('PRIVILEGE_ESCALATION');
    });
    it('refuses creating a user in another tenant, where the actor has no role', async () => {
      expect(await outcome(guards.mayCreateUser(fixture.store, as(manager, acme), globex, 'Viewer'))).toBe('PERMISSION_MISSING');
    });
    it('counts nothing the actor holds elsewhere: Admin of default may not create an Operator in acme with a lesser role there', async () => {
      const creator = await addMember(fixture.store, acme.id, lesser.id);
      await assign(creator.id, home.id, 'admin');
      expect(await outcome(guards.mayCreateUser(fixture.store, as(creator, acme), acme, 'Operator'))).toBe('PRIVILEGE_ESCALATION');
      expect(await outcome(guards.mayCreateUser(fixture.store, as(creator, home), home, 'Operator'))).toBe('allowed');
    });
  });

  describe('mayAssignRole', () => {
    it('lets a role assigner give a role within their own permissions', async () => {
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), peer.id, 'lesser', acme.id))).toBe('allowed');
    });
    it('refuses oneself', async () => {
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), manager.id, 'lesser', acme.id))).toBe('CANNOT_CHANGE_OWN_ROLE');
    });
    it("answers not found for a user of another tenant the actor doesn't manage", async () => {
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), stranger.id, 'lesser', acme.id))).toBe('USER_NOT_FOUND');
    });
    it('refuses over someone more privileged elsewhere only where it matters: in the tenant being changed', async () => {
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, home), dual.id, 'lesser', home.id))).toBe('TARGET_MORE_PRIVILEGED');
    });
    it('refuses giving a role with permissions the actor lacks', async () => {
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), peer.id, 'Operator', acme.id))).toBe('PRIVILEGE_ESCALATION');
    });
  });

  describe('mayRemoveMembership', () => {
    it("refuses a user's home tenant", async () => {
      expect(await outcome(guards.mayRemoveMembership(fixture.store, as(manager, acme), peer.id, acme.id))).toBe('HOME_TENANT_MEMBERSHIP');
    });
    it('answers not found for a user who is not a member of that tenant', async () => {
      expect(await outcome(guards.mayRemoveMembership(fixture.store, as(manager, acme), stranger.id, acme.id))).toBe('USER_NOT_FOUND');
    });
    it('refuses removing someone more privileged there', async () => {
      expect(await outcome(guards.mayRemoveMembership(fixture.store, as(manager, home), dual.id, home.id))).toBe('TARGET_MORE_PRIVILEGED');
    });
  });

  describe('mayReadAccount, mayManageAccount, maySetStatus, mayDeleteUser', () => {
    it('let a manager act on an account holding no more than they do', async () => {
      expect(await outcome(guards.mayManageAccount(fixture.store, as(manager, acme), peer.id))).toBe('allowed');
      expect(await outcome(guards.maySetStatus(fixture.store, as(manager, acme), peer.id, 'suspended'))).toBe('allowed');
      expect(await outcome(guards.mayDeleteUser(fixture.store, as(manager, acme), peer.id))).toBe('allowed');
    });
    it('answer not found for an account in another tenant', async () => {
      for (const attempt of [
        () => guards.mayReadAccount(fixture.store, as(manager, acme), stranger.id),
        () => guards.mayManageAccount(fixture.store, as(manager, acme), stranger.id),
        () => guards.maySetStatus(fixture.store, as(manager, acme), stranger.id, 'suspended'),
        () => guards.mayDeleteUser(fixture.store, as(manager, acme), stranger.id),
      ]) {
        expect(await outcome(attempt)).toBe('USER_NOT_FOUND');
      }
    });
    it('refuse changing an account more privileged in another tenant, but let it be read', async () => {
      expect(await outcome(guards.mayReadAccount(fixture.store, as(manager, acme), dual.id))).toBe('allowed');
      for (const attempt of [
        () => guards.mayManageAccount(fixture.store, as(manager, acme), dual.id),
        () => guards.maySetStatus(fixture.store, as(manager, acme), dual.id, 'suspended'),
        () => guards.maySetStatus(fixture.store, as(manager, acme), dual.id, 'active'),
        () => guards.mayDeleteUser(fixture.store, as(manager, acme), dual.id),
      ]) {
        expect(await outcome(attempt)).toBe('TARGET_MORE_PRIVILEGED');
      }
    });
    it('refuse suspending or deleting oneself', async () => {
      expect(await outcome(guards.maySetStatus(fixture.store, as(admin), admin.id, 'suspended'))).toBe('CANNOT_SUSPEND_SELF');
      expect(await outcome(guards.mayDeleteUser(fixture.store, as(admin), admin.id))).toBe('CANNOT_DELETE_SELF');
    });
  });

  describe('mayMoveUser', () => {
    it('keeps a role the user already holds in the destination', async () => {
      const moving = await addMember(fixture.store, home.id, lesser.id);
      await assign(moving.id, acme.id, lesser.id);
      const plan = await guards.mayMoveUser(fixture.store, as(manager), moving.id, acme, undefined);
      expect(plan).toMatchObject({ keptExisting: true, role: { id: lesser.id } });
    });
    it('answers not found for a user of another tenant', async () => {
      expect(await outcome(guards.mayMoveUser(fixture.store, as(manager, acme), stranger.id, home, undefined))).toBe('USER_NOT_FOUND');
    });
    it('refuses moving someone more privileged elsewhere', async () => {
      expect(await outcome(guards.mayMoveUser(fixture.store, as(manager, acme), dual.id, home, 'lesser'))).toBe('TARGET_MORE_PRIVILEGED');
    });
  });

  describe('maySetMemberRoleAsInstallation', () => {
    it('lets an installation Admin give anyone a role in any tenant', async () => {
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(admin), globex.slug, stranger.id, 'Operator'))).toBe('allowed');
    });
    it('answers not found for a tenant that does not exist', async () => {
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(admin), 'no-such-tenant', stranger.id, 'Viewer'))).toBe('TENANT_NOT_FOUND');
    });
    it('needs AssignRoles in default beside ManageTenants', async () => {
      const tenantManager = await addMember(fixture.store, home.id, (await createRole(['ManageTenants', 'ViewUsers'])).id);
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(tenantManager), home.slug, admin.id, 'Viewer'))).toBe('PERMISSION_MISSING');
    });
    it('refuses over someone holding more in that tenant than the caller holds in default', async () => {
      const installer = await addMember(fixture.store, home.id, (await createRole(['ManageTenants', 'AssignRoles', 'ViewUsers'])).id);
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(installer), acme.slug, peer.id, 'Viewer'))).toBe('PRIVILEGE_ESCALATION');
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(installer), home.slug, dual.id, 'lesser'))).toBe('PRIVILEGE_ESCALATION');
      const limited = await createRole(['ViewUsers']);
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(installer), acme.slug, peer.id, limited.name))).toBe('TARGET_MORE_PRIVILEGED');
    });
    it('refuses lowering one’s own role, allows raising it', async () => {
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(admin), home.slug, admin.id, 'Viewer'))).toBe('CANNOT_CHANGE_OWN_ROLE');
      expect(await outcome(guards.maySetMemberRoleAsInstallation(fixture.store, as(admin), acme.slug, admin.id, 'Admin'))).toBe('allowed');
    });
  });

  describe('mayCreateRole, mayEditRole, mayDeleteRole', () => {
    it('let a role manager build roles from what they hold', async () => {
      expect(await outcome(guards.mayCreateRole(fixture.store, as(manager, acme), acme.id, ['ViewUsers']))).toBe('allowed');
    });
    it('refuse a role of another tenant’s permissions the actor holds only elsewhere', async () => {
      expect(await outcome(guards.mayCreateRole(fixture.store, as(manager, acme), globex.id, ['ViewUsers']))).toBe('PERMISSION_MISSING');
    });
    it('refuse adding or taking away a permission the actor does not hold', async () => {
      const shared = role('shared-editor', ['ViewUsers', 'ManageAgents'], acme.id);
      await fixture.store.roles.create(shared);
      expect(await outcome(guards.mayEditRole(fixture.store, as(manager, acme), shared, ['ViewUsers', 'ManageAgents', 'AssignRoles']))).toBe('allowed');
      expect(await outcome(guards.mayEditRole(fixture.store, as(manager, acme), shared, ['ViewUsers']))).toBe('PRIVILEGE_ESCALATION');
      expect(await outcome(guards.mayEditRole(fixture.store, as(manager, acme), shared, ['ViewUsers', 'ManageAgents', 'ManageWorkflows']))).toBe('PRIVILEGE_ESCALATION');
    });
    it('refuse built-in roles', async () => {
      const builtIn = (await fixture.store.roles.getById('viewer'))!;
      expect(await outcome(guards.mayEditRole(fixture.store, as(admin), builtIn, ['ViewUsers']))).toBe('ROLE_IS_BUILT_IN');
      expect(await outcome(guards.mayDeleteRole(fixture.store, as(admin), builtIn))).toBe('ROLE_IS_BUILT_IN');
    });
    it('govern a global role from default', async () => {
      expect(await outcome(guards.mayDeleteRole(fixture.store, as(peer, acme), everything))).toBe('PERMISSION_MISSING');
    });
  });

  describe('mayRevokeToken', () => {
    it('lets a manager revoke the token of someone they may manage, not of someone more privileged elsewhere, and hides other tenants’ tokens', async () => {
      const token = (userId: string) => ({ id: newId(), userId });
      expect(await outcome(guards.mayRevokeToken(fixture.store, as(manager, acme), token(peer.id), 'x'))).toBe('allowed');
      expect(await outcome(guards.mayRevokeToken(fixture.store, as(manager, acme), token(dual.id), 'x'))).toBe('TARGET_MORE_PRIVILEGED');
      expect(await outcome(guards.mayRevokeToken(fixture.store, as(manager, acme), token(stranger.id), 'x'))).toBe('TOKEN_NOT_FOUND');
    });
  });

  describe("the request's remembered decisions", () => {
    it('answer checks outside a transaction, but a check through a transaction reads what holds then (a demotion mid-request or mid-job counts)', async () => {
      const access = new AccessService(fixture.store);
      const demoted = await addMember(fixture.store, acme.id, 'admin');
      const actor = as(demoted, acme);
      access.remember(actor, acme.id, await fixture.store.assignments.getRole(acme.id, demoted.id, new Date().toISOString()), false);
      await assign(demoted.id, acme.id, 'viewer');
      // The request's own decision, as the route made it.
      expect(await access.holds(actor, 'ManageUsers', acme.id)).toBe(true);
      // The change it guards, in its transaction: refused.
      expect(await outcome(fixture.store.transaction((store) => access.require(actor, 'ManageUsers', acme.id, store)))).toBe('PERMISSION_MISSING');
      // A new request (a new actor) reads afresh.
      expect(await access.holds(as(demoted, acme), 'ManageUsers', acme.id)).toBe(false);
    });
  });

  describe('time-bound assignments and access requests (rule 7)', () => {
    const request = (userId: string, tenantId: string, status: 'pending' | 'approved' = 'pending') => ({
      id: newId(),
      tenantId,
      tenantSlug: 'x',
      userId,
      userEmail: 'x@example.test',
      roleId: 'viewer',
      roleName: 'Viewer',
      durationSeconds: 3600,
      reason: 'r',
      status,
      createdAt: at(),
      decidedAt: null,
      decidedBy: null,
      decidedByEmail: null,
      decisionReason: null,
      endsAt: null,
    });

    it('a time-bound role needs a membership; someone of another tenant stays "not found"', async () => {
      const outsider = await addMember(fixture.store, home.id, 'viewer');
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), outsider.id, 'viewer', acme.id, true))).toBe('ELEVATION_NEEDS_MEMBERSHIP');
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), stranger.id, 'viewer', acme.id, true))).toBe('USER_NOT_FOUND');
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), peer.id, lesser.id, acme.id, true))).toBe('allowed');
      // More privileged elsewhere doesn't matter for a role here, more privileged here does: dual is a Viewer in acme, with View* the manager lacks.
      expect(await outcome(guards.mayAssignRole(fixture.store, as(manager, acme), dual.id, lesser.id, acme.id, true))).toBe('TARGET_MORE_PRIVILEGED');
    });

    it('an elevation grants until its end, then the permanent role again, for the guards too', async () => {
      const clock = new ManualClock(new Date(at(100)));
      const timed = new AccessService(fixture.store, clock);
      const member = await addMember(fixture.store, acme.id, 'viewer');
      await fixture.store.assignments.setElevation({ userId: member.id, tenantId: acme.id, roleId: lesser.id, endsAt: at(160), assignedAt: at(100), assignedBy: null, accessRequestId: null });
      expect((await timed.permissionsIn(member.id, acme.id)).has('AssignRoles')).toBe(true);
      clock.advance(60 * 60_000);
      expect((await timed.permissionsIn(member.id, acme.id)).has('AssignRoles')).toBe(false);
      expect((await timed.roleIn(member.id, acme.id))?.id).toBe('viewer');
    });

    it('a time-bound Admin never counts as the remaining Admin of default', async () => {
      const fresh = await openTestStore(engine);
      try {
        await addBuiltInRoles(fresh.store);
        const installation = await addTenant(fresh.store, 'default');
        const only = await addMember(fresh.store, installation.id, 'admin');
        const temporary = await addMember(fresh.store, installation.id, 'viewer');
        await fresh.store.assignments.setElevation({ userId: temporary.id, tenantId: installation.id, roleId: 'admin', endsAt: '2999-01-01T00:00:00.000Z', assignedAt: at(), assignedBy: null, accessRequestId: null });
        const freshGuards = new AccessGuards(new AccessService(fresh.store));
        expect(await outcome(fresh.store.transaction((store) => freshGuards.guardLastAdmin(store, only.id, installation.id)))).toBe('LAST_ADMIN');
        // Nor can the time-bound Admin give the last permanent one a time-bound other role.
        expect(await outcome(fresh.store.transaction((store) => freshGuards.mayAssignRole(store, actorOf(temporary), only.id, 'viewer', installation.id, true)))).toBe('LAST_ADMIN');
      } finally {
        await fresh.close();
      }
    });

    it('decides only a pending request of the tenant the caller acts in, never their own', async () => {
      const asked = request(peer.id, acme.id);
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(manager, acme), asked, asked.id))).toBe('allowed');
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(manager, home), asked, asked.id))).toBe('ACCESS_REQUEST_NOT_FOUND');
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(manager, acme), undefined, 'missing'))).toBe('ACCESS_REQUEST_NOT_FOUND');
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(peer, acme), asked, asked.id))).toBe('ACCESS_REQUEST_OWN');
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(manager, acme), request(peer.id, acme.id, 'approved'), 'x'))).toBe('ACCESS_REQUEST_DECIDED');
      // Without AssignRoles where the request acts: the permission, first.
      expect(await outcome(guards.mayDecideAccessRequest(fixture.store, as(stranger, globex), request(peer.id, globex.id), 'x'))).toBe('PERMISSION_MISSING');
    });

    it('caps an approval at the tenant\'s maximum, else the installation\'s', () => {
      const settings = { maxElevation: { installation: 8 * 3_600_000, tenants: { acme: 4 * 3_600_000 } } };
      expect(maxElevationFor(settings, 'ACME')).toBe(4 * 3_600_000);
      expect(maxElevationFor(settings, 'globex')).toBe(8 * 3_600_000);
      expect(maxElevationFor({}, 'globex')).toBe(DEFAULT_MAX_ELEVATION_MS);
      expect(() => guards.guardElevationWithinMaximum(4 * 3_600_000, 4 * 3_600_000, 'acme')).not.toThrow();
      const error = (() => {
        try {
          guards.guardElevationWithinMaximum(4 * 3_600_000 + 60_000, 4 * 3_600_000, 'acme');
        } catch (caught) {
          return caught as DomainError;
        }
      })();
      expect(error?.code).toBe('ELEVATION_TOO_LONG');
      expect(error?.message).toContain('4 hours 1 minute');
    });

    it('lists as approvers only those the approval would let through (mayApproveRefusal)', () => {
      const held = (permissions: Permission[]) => new Set(permissions);
      const base = { assignerId: 'a', userId: 'u', userHeld: held(['ViewUsers']), role: lesser, inDefault: false };
      expect(mayApproveRefusal({ ...base, assignerHeld: held(['AssignRoles', 'ManageUsers', 'ViewUsers', 'ManageRoles']) })).toBeNull();
      expect(mayApproveRefusal({ ...base, assignerHeld: held(['AssignRoles', 'ViewUsers']) })).toBe('PRIVILEGE_ESCALATION');
      expect(mayApproveRefusal({ ...base, assignerHeld: held(['ViewUsers']) })).toBe('PERMISSION_MISSING');
      expect(mayApproveRefusal({ ...base, assignerId: 'u', assignerHeld: held(['AssignRoles', 'ManageUsers', 'ViewUsers', 'ManageRoles']) })).toBe('ACCESS_REQUEST_OWN');
    });
  });

  let created = 0;
  async function createRole(permissions: Permission[]): Promise<Role> {
    const made = role(`made-${++created}`, permissions);
    await fixture.store.roles.create(made);
    return made;
  }
});

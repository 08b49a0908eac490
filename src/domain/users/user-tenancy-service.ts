import type { AccessService } from '../access/access-service.ts';
import type { AccessGuards } from '../access/guards.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { TenantService } from '../tenants/tenant-service.ts';
import type { StoredUser, User } from './user.ts';
import { viewUser, type UserView } from './user-view.ts';
import type { Store } from '../store.ts';
import type { Role } from '../roles/role.ts';
import { assignmentEnd, type AssignmentTermInput } from '../roles/assignment-term.ts';

/** What a move did (or, as a dry run, would do): the user's role in each tenant before and after. */
export type MovedUser = UserView & {
  movedResources: number;
  roles: { tenant: string; before: string | null; after: string | null }[];
  dryRun: boolean;
};

/** Carries a dry run's answer out of the transaction it rolls back. */
class DryRunRollback extends Error {
  readonly result: unknown;
  constructor(result: unknown) {
    super('dry run');
    this.result = result;
  }
}

/**
 * Which tenants a user belongs to, with which role, and which one is home: setting their role in
 * the acting tenant, removing them from it, moving their home. Every change through its guard in
 * AccessGuards. (Finding where a user can be seen is UserMembershipService's.)
 */
export class UserTenancyService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;
  readonly #tenants: TenantService;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards, tenants: TenantService) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
    this.#tenants = tenants;
  }

  /**
   * Sets the user's one role in the tenant the request acts in, adding them to it if they weren't a
   * member. With `term` (an end: `until` an instant, or for a `duration` such as "8h") the role is
   * time-bound: an elevation over the member's permanent role, which applies again at its end
   * (src/domain/roles/role-elevation.ts).
   */
  async setRole(actor: Actor, userReference: string, roleReference: string, term?: AssignmentTermInput): Promise<UserView> {
    const tenantId = actor.tenantId;
    const endsAt = term && assignmentEnd(term, this.#context.clock.now());
    const user = await this.#context.store.transaction(async (store) => {
      if (endsAt !== undefined) return (await this.setTimeBoundRole(store, actor, userReference, roleReference, tenantId, endsAt, null)).user;
      const { user, role, current } = await this.#guards.mayAssignRole(store, actor, userReference, roleReference, tenantId);
      const now = this.#context.clock.now().toISOString();
      const previous = await this.#access.roleIn(user.id, tenantId, store);
      await store.assignments.set({ userId: user.id, tenantId, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
      await store.assignments.endElevation(tenantId, user.id);
      await recordAudit(this.#context, store, actor, {
        category: 'rbac',
        action: 'role.assigned',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: current && previous ? { role: previous.name } : null, after: { role: role.name } },
      });
      return user;
    });
    return this.#view(user, tenantId);
  }

  /**
   * Gives a member a time-bound role in the tenant, through `mayAssignRole` (time-bound), inside
   * the caller's transaction (`store`): the one path for `set-role --until/--for` and for an
   * approved access request (`accessRequestId`). Audited as role.assigned with its end.
   */
  async setTimeBoundRole(
    store: Store,
    actor: Actor,
    userReference: string,
    roleReference: string,
    tenantId: string,
    endsAt: string,
    accessRequestId: string | null,
  ): Promise<{ user: StoredUser; role: Role; thenRole: Role | undefined }> {
    const { user, role, current } = await this.#guards.mayAssignRole(store, actor, userReference, roleReference, tenantId, true);
    const now = this.#context.clock.now().toISOString();
    const [previous, thenRole] = await Promise.all([this.#access.roleIn(user.id, tenantId, store), current ? store.roles.getById(current.roleId) : undefined]);
    await store.assignments.setElevation({ userId: user.id, tenantId, roleId: role.id, endsAt, assignedAt: now, assignedBy: actor.userId, accessRequestId });
    await recordAudit(this.#context, store, actor, {
      tenantId,
      category: 'rbac',
      action: 'role.assigned',
      subjectType: 'user',
      subjectId: user.id,
      diff: { before: previous ? { role: previous.name } : null, after: { role: role.name, until: endsAt, then: thenRole?.name ?? null } },
      detail: accessRequestId ? { accessRequestId } : undefined,
    });
    return { user, role, thenRole };
  }

  /** Removes the user's role in the tenant the request acts in; their home tenant membership can't be removed. */
  async removeFromTenant(actor: Actor, userId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      const { user, current } = await this.#guards.mayRemoveMembership(store, actor, userId, actor.tenantId);
      const role = current ? await store.roles.getById(current.roleId) : undefined;
      await store.assignments.remove(actor.tenantId, user.id);
      await recordAudit(this.#context, store, actor, {
        category: 'rbac',
        action: 'role.unassigned',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { role: role?.name ?? null }, after: null },
      });
    });
  }

  /**
   * Moves a user's home to another tenant: the agents, workflows, memory and documents they own
   * move with them in the same transaction, so nothing of theirs stays readable in the old
   * tenant, and their home membership moves too. A role they already hold in the destination is
   * kept unless another is asked for; otherwise their home role follows when it can live there
   * (built-in or global), else Viewer. `dryRun` runs every check and answers the same plan
   * without writing anything: the role in each tenant before and after, and what would move.
   */
  async move(actor: Actor, userId: string, input: { tenant: string; role?: string; dryRun?: boolean }): Promise<MovedUser> {
    const target = await this.#tenants.getVisible(actor, input.tenant);
    try {
      const moved = await this.#context.store.transaction(async (store) => {
        const { user, role, keptExisting, homeAssignment, existing } = await this.#guards.mayMoveUser(store, actor, userId, target, input.role);
        const [homeRole, existingRole, from] = await Promise.all([
          homeAssignment ? store.roles.getById(homeAssignment.roleId) : undefined,
          existing ? store.roles.getById(existing.roleId) : undefined,
          store.tenants.getById(user.homeTenantId),
        ]);
        const now = this.#context.clock.now().toISOString();
        const movedResources = await store.resources.moveOwned(user.id, user.homeTenantId, target.id, now);
        await store.assignments.remove(user.homeTenantId, user.id);
        if (!keptExisting) {
          await store.assignments.set({ userId: user.id, tenantId: target.id, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
          await store.assignments.endElevation(target.id, user.id);
        }
        await store.users.update(user.id, { homeTenantId: target.id, updatedAt: now });
        const roles: MovedUser['roles'] = [
          { tenant: from?.slug ?? user.homeTenantId, before: homeRole?.name ?? null, after: null },
          { tenant: target.slug, before: existingRole?.name ?? null, after: role.name },
        ];
        for (const tenantId of new Set([user.homeTenantId, target.id])) {
          await recordAudit(this.#context, store, actor, {
            tenantId,
            category: 'users',
            action: 'user.moved',
            subjectType: 'user',
            subjectId: user.id,
            diff: { before: { tenant: from?.slug ?? user.homeTenantId, role: homeRole?.name ?? null }, after: { tenant: target.slug, role: role.name } },
            detail: { movedResources, roles },
          });
        }
        if (!keptExisting) {
          await recordAudit(this.#context, store, actor, {
            tenantId: target.id,
            category: 'rbac',
            action: 'role.assigned',
            subjectType: 'user',
            subjectId: user.id,
            diff: { before: existingRole ? { role: existingRole.name } : null, after: { role: role.name } },
            detail: { reason: 'moved between tenants' },
          });
        }
        const result = { user: { ...user, homeTenantId: target.id, updatedAt: now }, movedResources, roles };
        // A preview answers exactly what the move would do, then takes all of it back.
        if (input.dryRun) throw new DryRunRollback(result);
        return result;
      });
      return { ...(await this.#view(moved.user, target.id)), movedResources: moved.movedResources, roles: moved.roles, dryRun: false };
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
      const preview = error.result as { user: StoredUser; movedResources: number; roles: MovedUser['roles'] };
      const current = await this.#context.store.users.getById(preview.user.id);
      return { ...(await this.#view(current ?? preview.user, actor.tenantId)), movedResources: preview.movedResources, roles: preview.roles, dryRun: true };
    }
  }

  async #view(user: StoredUser | User, tenantId: string): Promise<UserView> {
    return viewUser(this.#context.store, this.#access, user, tenantId);
  }
}

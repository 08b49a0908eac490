import type { AccessService } from '../access/access-service.ts';
import type { AccessGuards } from '../access/guards.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { StoredUser, User } from './user.ts';
import { viewUser, type UserView } from './user-view.ts';

/** A user's status (suspend, re-activate) and their deletion, each through its guard in AccessGuards. */
export class UserLifecycleService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
  }

  /** Suspended users keep their data but can't log in; their open sessions end now, their tokens stop working. */
  async suspend(actor: Actor, userId: string): Promise<UserView> {
    return this.#setStatus(actor, userId, 'suspended');
  }

  async reactivate(actor: Actor, userId: string): Promise<UserView> {
    return this.#setStatus(actor, userId, 'active');
  }

  /** Permanent. The user's agents, workflows, memory and documents stay, with no owner. */
  async delete(actor: Actor, userId: string): Promise<{ orphanedResources: number }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#guards.mayDeleteUser(store, actor, userId);
      const now = this.#context.clock.now().toISOString();
      const memberships = await store.assignments.listForUser(user.id);
      const roles = new Map((await Promise.all(memberships.map((membership) => store.roles.getById(membership.roleId)))).flatMap((role) => (role ? [[role.id, role]] : [])));
      const orphaned = await store.resources.orphanAllOf(user.id, now);
      await store.sessions.endAllForUser(user.id, now, 'user deleted');
      await store.users.delete(user.id);
      // Every tenant the user belonged to gets the event in its own trail, with the role they lost there.
      for (const membership of memberships) {
        await recordAudit(this.#context, store, actor, {
          tenantId: membership.tenantId,
          category: 'users',
          action: 'user.deleted',
          subjectType: 'user',
          subjectId: user.id,
          diff: { before: { email: user.email, displayName: user.displayName, status: user.status, role: roles.get(membership.roleId)?.name ?? null }, after: null },
          detail: { orphanedResources: orphaned, homeTenant: membership.tenantId === user.homeTenantId },
        });
      }
      return { orphanedResources: orphaned };
    });
  }

  async #setStatus(actor: Actor, userId: string, status: 'active' | 'suspended'): Promise<UserView> {
    const user = await this.#context.store.transaction(async (store) => {
      const user = await this.#guards.maySetStatus(store, actor, userId, status);
      if (user.status === status) return user;
      const now = this.#context.clock.now().toISOString();
      await store.users.update(user.id, { status, updatedAt: now });
      const endedSessions = status === 'suspended' ? await store.sessions.endAllForUser(user.id, now, 'user suspended') : 0;
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: status === 'suspended' ? 'user.suspended' : 'user.reactivated',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { status: user.status }, after: { status } },
        detail: status === 'suspended' ? { endedSessions } : null,
      });
      return { ...user, status, updatedAt: now };
    });
    return this.#view(user, actor.tenantId);
  }

  async #view(user: StoredUser | User, tenantId: string): Promise<UserView> {
    return viewUser(this.#context.store, this.#access, user, tenantId);
  }
}

import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import { normalizeEmail, type UserStatus } from './user.ts';
import { fail } from '../error-catalogue.ts';

export interface VisibleMemberships {
  user: { id: string; email: string; displayName: string; status: UserStatus; homeTenantId: string; homeTenant: string };
  /** The tenants where the user has a role and the caller holds ViewUsers (all of them for oneself); the home tenant first. */
  memberships: { tenantId: string; tenantSlug: string; roleName: string; home: boolean }[];
}

/**
 * Where a user can be found, for a caller who names them by id or email without knowing their
 * tenant (the CLI then acts in one of these). A user id is global, but visibility is not: a user
 * exists for the caller only in tenants where the caller holds ViewUsers, and a user with no such
 * tenant is "not found", exactly like one that doesn't exist.
 */
export class UserMembershipService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  async list(actor: Actor, userReference: string): Promise<VisibleMemberships> {
    const { store } = this.#context;
    const user = userReference.includes('@') ? await store.users.getByEmail(normalizeEmail(userReference)) : await store.users.getById(userReference);
    const notVisible = fail('USER_NOT_FOUND', { user: userReference.slice(0, 254), where: 'in a tenant where you may see users' });
    if (!user) throw notVisible;
    const memberships: VisibleMemberships['memberships'] = [];
    for (const assignment of await store.assignments.listForUser(user.id)) {
      if (user.id !== actor.userId && !(await this.#access.holds(actor, 'ViewUsers', assignment.tenantId))) continue;
      const [tenant, role] = await Promise.all([store.tenants.getById(assignment.tenantId), store.roles.getById(assignment.roleId)]);
      if (!tenant || !role) continue;
      memberships.push({ tenantId: tenant.id, tenantSlug: tenant.slug, roleName: role.name, home: tenant.id === user.homeTenantId });
    }
    if (memberships.length === 0) throw notVisible;
    memberships.sort((a, b) => Number(b.home) - Number(a.home) || a.tenantSlug.localeCompare(b.tenantSlug));
    const home = await store.tenants.getById(user.homeTenantId);
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName, status: user.status, homeTenantId: user.homeTenantId, homeTenant: home?.slug ?? user.homeTenantId },
      memberships,
    };
  }
}

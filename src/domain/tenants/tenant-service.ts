import type { AccessService } from '../access/access-service.ts';
import { assignmentEnd, type AssignmentTermInput } from '../roles/assignment-term.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { newId } from '../ids.ts';
import { ADMIN_ROLE_ID } from '../roles/role.ts';
import type { AccessGuards } from '../access/guards.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { checkTenantSlug, DEFAULT_TENANT_SLUG, type Tenant, type TenantMember, type TenantSummary } from './tenant.ts';
import { fail } from '../error-catalogue.ts';

export interface TenantView extends TenantSummary {
  /** The caller's role there, when they belong to it. */
  myRole: string | null;
}

export class TenantService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
  }

  /** The tenants the caller belongs to; every tenant for those who may manage tenants. */
  async list(actor: Actor): Promise<TenantView[]> {
    const { store } = this.#context;
    const manageAll = await this.#access.holds(actor, 'ManageTenants', actor.tenantId);
    const assignments = await store.assignments.listForUser(actor.userId);
    const roleOf = new Map<string, string>();
    for (const assignment of assignments) {
      const role = await store.roles.getById(assignment.roleId);
      roleOf.set(assignment.tenantId, role?.name ?? assignment.roleId);
    }
    const tenants = await store.tenants.listWithCounts();
    return tenants
      .filter((tenant) => manageAll || roleOf.has(tenant.id))
      .map((tenant) => ({ ...tenant, myRole: roleOf.get(tenant.id) ?? null }));
  }

  /** Finds a tenant by slug or id, answering "not found" to callers who have no role there. */
  /** GET /healthz: the database answers (one cheap read of the default tenant). */
  async ping(): Promise<void> {
    await this.#context.store.tenants.getBySlug(DEFAULT_TENANT_SLUG);
  }

  async getVisible(actor: Pick<Actor, 'userId'>, reference: string, store: Store = this.#context.store): Promise<Tenant> {
    const tenant = (await store.tenants.getBySlug(reference)) ?? (await store.tenants.getById(reference));
    if (tenant && (await store.assignments.get(tenant.id, actor.userId))) return tenant;
    if (tenant && (await this.#access.holds(actor, 'ManageTenants', tenant.id, store))) return tenant;
    throw fail('TENANT_NOT_FOUND', { tenant: reference });
  }

  /**
   * A tenant's members with their roles, a page at a time, and the roles that can be given there.
   * For holders of ViewUsers in the tenant itself, or of ManageTenants (installation-wide); ViewUsers
   * where the request acts is checked first, as the route declares. Constant statements per page.
   */
  async listMembers(
    actor: Actor,
    reference: string,
    query: { cursor?: string; limit?: number } = {},
  ): Promise<{ tenant: Tenant; items: TenantMember[]; nextCursor: string | null; roles: { id: string; name: string; builtIn: boolean; scope: 'global' | 'tenant' }[] }> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const { store } = this.#context;
    const tenant = await this.getVisible(actor, reference);
    if (!(await this.#access.holds(actor, 'ManageTenants', tenant.id))) await this.#access.require(actor, 'ViewUsers', tenant.id);
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
    const [members, roles] = await Promise.all([store.tenants.listMembers(tenant.id, { after: query.cursor, limit: limit + 1 }, this.#context.clock.now().toISOString()), store.roles.listVisibleIn(tenant.id)]);
    const items = members.slice(0, limit);
    return {
      tenant,
      items,
      nextCursor: members.length > limit ? (items.at(-1)?.userId ?? null) : null,
      roles: roles.map((role) => ({ id: role.id, name: role.name, builtIn: role.builtIn, scope: role.tenantId === null ? 'global' : 'tenant' })),
    };
  }

  async create(actor: Actor, input: { slug: string; name: string }): Promise<Tenant> {
    const slug = checkTenantSlug(input.slug.trim());
    const name = checkTenantName(input.name);
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageTenants', actor.tenantId, store);
      if (await store.tenants.getBySlug(slug)) throw fail('TENANT_SLUG_TAKEN', { slug });
      const now = this.#context.clock.now().toISOString();
      const tenant: Tenant = { id: newId(), slug, name, createdAt: now, updatedAt: now };
      await store.tenants.create(tenant);
      // Whoever creates a tenant administers it: nobody else has a role there yet.
      await store.assignments.set({ userId: actor.userId, tenantId: tenant.id, roleId: ADMIN_ROLE_ID, assignedAt: now, assignedBy: actor.userId });
      const home = await this.#access.defaultTenant(store);
      await recordAudit(this.#context, store, actor, {
        tenantId: home.id,
        category: 'tenants',
        action: 'tenant.created',
        subjectType: 'tenant',
        subjectId: tenant.id,
        diff: { before: null, after: { slug, name } },
      });
      await recordAudit(this.#context, store, actor, {
        tenantId: tenant.id,
        category: 'rbac',
        action: 'role.assigned',
        subjectType: 'user',
        subjectId: actor.userId,
        diff: { before: null, after: { role: 'Admin', tenant: slug } },
        detail: { reason: 'tenant creator' },
      });
      return tenant;
    });
  }

  async update(actor: Actor, reference: string, input: { name: string }): Promise<Tenant> {
    const name = checkTenantName(input.name);
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageTenants', actor.tenantId, store);
      const tenant = await this.getVisible(actor, reference, store);
      await this.#access.require(actor, 'ManageTenants', tenant.id, store);
      const updatedAt = this.#context.clock.now().toISOString();
      await store.tenants.update(tenant.id, { name, updatedAt });
      const home = await this.#access.defaultTenant(store);
      await recordAudit(this.#context, store, actor, {
        tenantId: home.id,
        category: 'tenants',
        action: 'tenant.updated',
        subjectType: 'tenant',
        subjectId: tenant.id,
        diff: { before: { name: tenant.name }, after: { name } },
      });
      return { ...tenant, name, updatedAt };
    });
  }

  /**
   * The installation's way back into a tenant: holders of ManageTenants and AssignRoles (both
   * evaluated in `default`) set anyone's role in any tenant — themselves included, so a tenant
   * whose own admins removed everyone else is never lost — under the same guards as every other
   * role change (AccessGuards.maySetMemberRoleAsInstallation). The event lands in both tenants'
   * audit trails.
   */
  async setMemberRole(
    actor: Actor,
    reference: string,
    userReference: string,
    roleReference: string,
    term?: AssignmentTermInput,
  ): Promise<{ tenant: string; userId: string; role: string; endsAt: string | null }> {
    const endsAt = term && assignmentEnd(term, this.#context.clock.now());
    return this.#context.store.transaction(async (store) => {
      const { tenant, user, role, previous, home } = await this.#guards.maySetMemberRoleAsInstallation(store, actor, reference, userReference, roleReference, endsAt !== undefined);
      const now = this.#context.clock.now().toISOString();
      let then: string | null = null;
      if (endsAt !== undefined) {
        // A time-bound role over the member's permanent one (role-elevation.ts), which applies again at its end.
        const permanent = await store.assignments.get(tenant.id, user.id);
        then = (permanent && (await store.roles.getById(permanent.roleId))?.name) ?? null;
        await store.assignments.setElevation({ userId: user.id, tenantId: tenant.id, roleId: role.id, endsAt, assignedAt: now, assignedBy: actor.userId, accessRequestId: null });
      } else {
        await store.assignments.set({ userId: user.id, tenantId: tenant.id, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
        await store.assignments.endElevation(tenant.id, user.id);
      }
      const after = endsAt === undefined ? { role: role.name, tenant: tenant.slug } : { role: role.name, tenant: tenant.slug, until: endsAt, then };
      for (const tenantId of new Set([home.id, tenant.id])) {
        await recordAudit(this.#context, store, actor, {
          tenantId,
          category: 'rbac',
          action: 'role.assigned',
          subjectType: 'user',
          subjectId: user.id,
          diff: { before: previous ? { role: previous.name, tenant: tenant.slug } : null, after },
          detail: { via: 'installation (ManageTenants)' },
        });
      }
      return { tenant: tenant.slug, userId: user.id, role: role.name, endsAt: endsAt ?? null };
    });
  }

  /** Only an empty tenant can go: no users at home there and no owned resources. */
  async delete(actor: Actor, reference: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageTenants', actor.tenantId, store);
      const tenant = await this.getVisible(actor, reference, store);
      await this.#access.require(actor, 'ManageTenants', tenant.id, store);
      if (tenant.slug === DEFAULT_TENANT_SLUG) throw fail('TENANT_IS_DEFAULT');
      const contents = await store.tenants.countContents(tenant.id);
      if (contents.homeUsers > 0 || contents.resources > 0) {
        throw fail('TENANT_NOT_EMPTY', { slug: tenant.slug, homeUsers: contents.homeUsers, resources: contents.resources });
      }
      await store.tenants.delete(tenant.id);
      const home = await this.#access.defaultTenant(store);
      await recordAudit(this.#context, store, actor, {
        tenantId: home.id,
        category: 'tenants',
        action: 'tenant.deleted',
        subjectType: 'tenant',
        subjectId: tenant.id,
        diff: { before: { slug: tenant.slug, name: tenant.name }, after: null },
      });
    });
  }
}

function checkTenantName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw fail('TENANT_NAME_INVALID');
  return trimmed;
}

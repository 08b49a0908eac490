import { permissionsOfRole, type AccessService } from '../access/access-service.ts';
import type { AccessGuards } from '../access/guards.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { diffOf } from '../audit/audit-event.ts';
import { newId } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { builtInRoleDefinitions, checkPermissionNames, checkRoleName, normalizeRoleName, type Role } from './role.ts';
import { fail } from '../error-catalogue.ts';

export interface RoleInput {
  name: string;
  description?: string;
  permissions: string[];
  /** "global" or "tenant" (the tenant the request acts in). */
  scope: 'global' | 'tenant';
}

export interface RoleView extends Role {
  scope: 'global' | 'tenant';
  usedBy: number;
}

export class RoleService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
  }

  async list(actor: Actor): Promise<RoleView[]> {
    const { store } = this.#context;
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const roles = await store.roles.listVisibleIn(actor.tenantId);
    return Promise.all(roles.map((role) => this.#view(role, actor.tenantId)));
  }

  async get(actor: Actor, roleId: string): Promise<RoleView> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    return this.#view(await this.#loadVisible(actor, roleId, this.#context.store), actor.tenantId);
  }

  async create(actor: Actor, input: RoleInput): Promise<RoleView> {
    const name = checkRoleName(input.name);
    const permissions = checkPermissionNames(input.permissions);
    const description = (input.description ?? '').trim();
    return this.#context.store.transaction(async (store) => {
      const tenantId = await this.#guards.roleGovernedIn(store, { tenantId: input.scope === 'global' ? null : actor.tenantId });
      await this.#guards.mayCreateRole(store, actor, tenantId, permissions);
      await store.roles.lockNamesForTransaction();
      await this.#checkNameFree(store, name, input.scope === 'global' ? null : actor.tenantId);
      const limit = this.#context.settings.maxCustomRolesPerTenant;
      if ((await store.roles.countCustomIn(input.scope === 'global' ? null : actor.tenantId)) >= limit) {
        throw fail('ROLE_LIMIT_REACHED', { scope: input.scope === 'global' ? 'installation' : 'tenant', limit });
      }
      const now = this.#context.clock.now().toISOString();
      const role: Role = {
        id: newId(),
        name,
        description,
        tenantId: input.scope === 'global' ? null : actor.tenantId,
        builtIn: false,
        permissions,
        createdAt: now,
        updatedAt: now,
      };
      await store.roles.create(role);
      await recordAudit(this.#context, store, actor, {
        tenantId,
        category: 'rbac',
        action: 'role.created',
        subjectType: 'role',
        subjectId: role.id,
        diff: { before: null, after: { name, description, scope: input.scope, permissions } },
      });
      return { ...role, scope: input.scope, usedBy: 0 };
    });
  }

  async update(actor: Actor, roleId: string, changes: Partial<Omit<RoleInput, 'scope'>>): Promise<RoleView> {
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageRoles', actor.tenantId, store);
      const role = await this.#loadVisible(actor, roleId, store);
      const tenantId = await this.#guards.roleGovernedIn(store, role);
      const permissions = changes.permissions === undefined ? role.permissions : checkPermissionNames(changes.permissions);
      await this.#guards.mayEditRole(store, actor, role, permissions);
      const name = changes.name === undefined ? role.name : checkRoleName(changes.name);
      const description = changes.description === undefined ? role.description : changes.description.trim();
      if (normalizeRoleName(name) !== normalizeRoleName(role.name)) {
        await store.roles.lockNamesForTransaction();
        await this.#checkNameFree(store, name, role.tenantId);
      }
      const updated = { ...role, name, description, permissions, updatedAt: this.#context.clock.now().toISOString() };
      await store.roles.update(role.id, updated);
      await recordAudit(this.#context, store, actor, {
        tenantId,
        category: 'rbac',
        action: 'role.updated',
        subjectType: 'role',
        subjectId: role.id,
        diff: diffOf({ name: role.name, description: role.description, permissions: role.permissions }, { name, description, permissions }),
      });
      return this.#view(updated, actor.tenantId, store);
    });
  }

  async delete(actor: Actor, roleId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageRoles', actor.tenantId, store);
      const role = await this.#loadVisible(actor, roleId, store);
      const tenantId = await this.#guards.roleGovernedIn(store, role);
      await this.#guards.mayDeleteRole(store, actor, role);
      const holders = await store.assignments.countUsingRole(role.id, this.#context.clock.now().toISOString());
      if (holders > 0) {
        throw fail('ROLE_IN_USE', { name: role.name, holders });
      }
      await store.roles.delete(role.id);
      await recordAudit(this.#context, store, actor, {
        tenantId,
        category: 'rbac',
        action: 'role.deleted',
        subjectType: 'role',
        subjectId: role.id,
        diff: { before: { name: role.name, description: role.description, permissions: role.permissions }, after: null },
      });
    });
  }

  /** `usedBy` counts holders in the tenant looking at the role only. */
  async #view(role: Role, tenantId: string, store: Store = this.#context.store): Promise<RoleView> {
    return {
      ...role,
      permissions: permissionsOfRole(role),
      scope: role.tenantId === null ? 'global' : 'tenant',
      usedBy: await store.assignments.countUsingRole(role.id, this.#context.clock.now().toISOString(), tenantId),
    };
  }

  async #loadVisible(actor: Actor, roleId: string, store: Store): Promise<Role> {
    const role = await store.roles.getById(roleId);
    if (!role || (role.tenantId !== null && role.tenantId !== actor.tenantId)) {
      throw fail('ROLE_NOT_FOUND', { role: roleId });
    }
    return role;
  }

  async #checkNameFree(store: Store, name: string, tenantId: string | null): Promise<void> {
    const wanted = normalizeRoleName(name);
    if (builtInRoleDefinitions.some((role) => normalizeRoleName(role.name) === wanted)) {
      throw fail('ROLE_NAME_TAKEN', { name, where: 'among the built-in roles' });
    }
    const others = tenantId === null ? await store.roles.listAll() : await store.roles.listVisibleIn(tenantId);
    if (others.some((role) => normalizeRoleName(role.name) === wanted)) {
      throw fail('ROLE_NAME_TAKEN', { name, where: 'in this tenant' });
    }
  }
}

import { AccessService, permissionsOfRole } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { diffOf } from '../audit/audit-event.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { installationWidePermissions, type Permission } from '../permissions.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { builtInRoleDefinitions, checkPermissionNames, checkRoleName, normalizeRoleName, type Role } from './role.ts';

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

/**
 * Kubernetes' escalation rule: an actor may only put into a role, or hand out through a
 * role, permissions they hold themselves in that tenant.
 */
export async function checkNoEscalation(
  access: AccessService,
  actor: Actor,
  permissions: readonly Permission[],
  tenantId: string,
  store: Store,
): Promise<void> {
  const held = await access.permissionsIn(actor.userId, tenantId, store);
  // A role grants in a tenant what takes effect there: installation-wide permissions only count in
  // `default`, so elsewhere they are inert and need not be held (the seed's compliance-auditor, with
  // ViewLicense, can be made in any tenant). Assignments and role content follow the same rule.
  const granted =
    tenantId !== (await access.defaultTenant(store)).id
      ? permissions.filter((permission) => !installationWidePermissions.has(permission))
      : permissions;
  const lacking = granted.filter((permission) => !held.has(permission));
  if (lacking.length > 0) {
    throw forbidden('PRIVILEGE_ESCALATION', `You cannot grant permissions you do not hold yourself in this tenant: ${lacking.join(', ')}.`, {
      permissionsNotHeld: lacking,
    });
  }
}

/** Finds a role usable in a tenant by id or by name (case-insensitive, so `admin` is Admin). */
export async function resolveRole(store: Store, tenantId: string, reference: string): Promise<Role> {
  const wanted = normalizeRoleName(reference);
  const roles = await store.roles.listVisibleIn(tenantId);
  const role = roles.find((candidate) => candidate.id === reference || normalizeRoleName(candidate.name) === wanted);
  if (!role) throw notFound('ROLE_NOT_FOUND', `No role "${reference}" exists in this tenant.`);
  return role;
}

export class RoleService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
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
      const tenantId = await this.#scopeHome(actor, input.scope, store);
      await this.#access.require(actor, 'ManageRoles', tenantId, store);
      await checkNoEscalation(this.#access, actor, permissions, tenantId, store);
      await store.roles.lockNamesForTransaction();
      await this.#checkNameFree(store, name, input.scope === 'global' ? null : actor.tenantId);
      const limit = this.#context.settings.maxCustomRolesPerTenant;
      if ((await store.roles.countCustomIn(input.scope === 'global' ? null : actor.tenantId)) >= limit) {
        throw conflict('ROLE_LIMIT_REACHED', `This ${input.scope === 'global' ? 'installation' : 'tenant'} already has the maximum of ${limit} custom roles (Sophon:Rbac:MaxCustomRolesPerTenant).`);
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
      const role = await this.#loadVisible(actor, roleId, store);
      const tenantId = role.tenantId ?? (await this.#access.defaultTenant(store)).id;
      await this.#access.require(actor, 'ManageRoles', tenantId, store);
      if (role.builtIn) throw builtInRefusal(role);
      const name = changes.name === undefined ? role.name : checkRoleName(changes.name);
      const permissions = changes.permissions === undefined ? role.permissions : checkPermissionNames(changes.permissions);
      const description = changes.description === undefined ? role.description : changes.description.trim();
      const added = permissions.filter((permission) => !role.permissions.includes(permission));
      await checkNoEscalation(this.#access, actor, added, tenantId, store);
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
      const role = await this.#loadVisible(actor, roleId, store);
      const tenantId = role.tenantId ?? (await this.#access.defaultTenant(store)).id;
      await this.#access.require(actor, 'ManageRoles', tenantId, store);
      if (role.builtIn) throw builtInRefusal(role);
      const holders = await store.assignments.countUsingRole(role.id);
      if (holders > 0) {
        throw conflict('ROLE_IN_USE', `Role "${role.name}" is assigned to ${holders} user(s); assign them another role first.`);
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
      usedBy: await store.assignments.countUsingRole(role.id, tenantId),
    };
  }

  async #loadVisible(actor: Actor, roleId: string, store: Store): Promise<Role> {
    const role = await store.roles.getById(roleId);
    if (!role || (role.tenantId !== null && role.tenantId !== actor.tenantId)) {
      throw notFound('ROLE_NOT_FOUND', `No role with id "${roleId}" exists in this tenant.`);
    }
    return role;
  }

  /** A global role applies in every tenant, so it is governed from the installation's home, `default`. */
  async #scopeHome(actor: Actor, scope: RoleInput['scope'], store: Store): Promise<string> {
    return scope === 'global' ? (await this.#access.defaultTenant(store)).id : actor.tenantId;
  }

  async #checkNameFree(store: Store, name: string, tenantId: string | null): Promise<void> {
    const wanted = normalizeRoleName(name);
    if (builtInRoleDefinitions.some((role) => normalizeRoleName(role.name) === wanted)) {
      throw conflict('ROLE_NAME_TAKEN', `"${name}" is the name of a built-in role; pick another name.`);
    }
    const others = tenantId === null ? await store.roles.listAll() : await store.roles.listVisibleIn(tenantId);
    if (others.some((role) => normalizeRoleName(role.name) === wanted)) {
      throw conflict('ROLE_NAME_TAKEN', `A role named "${name}" already exists in this tenant.`);
    }
  }
}

function builtInRefusal(role: Role) {
  return conflict('ROLE_IS_BUILT_IN', `"${role.name}" is a built-in role and can't be edited or deleted; create a custom role if you need a variant.`);
}

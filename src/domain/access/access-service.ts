import { forbidden } from '../errors.ts';
import { installationWidePermissions, type Permission } from '../permissions.ts';
import { builtInPermissions, type Role } from '../roles/role.ts';
import { DEFAULT_TENANT_SLUG, type Tenant } from '../tenants/tenant.ts';
import type { Actor } from '../context.ts';
import type { Store } from '../store.ts';

export interface TenantPermissions {
  tenantId: string;
  tenantSlug: string;
  roleId: string;
  roleName: string;
  permissions: Permission[];
}

export function permissionsOfRole(role: Role): Permission[] {
  return role.builtIn ? (builtInPermissions(role.id) ?? []) : role.permissions;
}

/**
 * Answers "may this user do X in tenant T?" from the database on every call: nothing is
 * cached, so a role change takes effect on the user's next request.
 */
export class AccessService {
  readonly #store: Store;
  #defaultTenantId: string | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  async defaultTenant(store: Store = this.#store): Promise<Tenant> {
    const tenant = await store.tenants.getBySlug(DEFAULT_TENANT_SLUG);
    if (!tenant) throw new Error('the default tenant is missing: the database was not bootstrapped');
    this.#defaultTenantId = tenant.id;
    return tenant;
  }

  /** Where a permission is evaluated: installation-wide ones in `default`, the rest in the given tenant. */
  async tenantForPermission(permission: Permission, tenantId: string, store: Store = this.#store): Promise<string> {
    if (!installationWidePermissions.has(permission)) return tenantId;
    return this.#defaultTenantId ?? (await this.defaultTenant(store)).id;
  }

  async roleIn(userId: string, tenantId: string, store: Store = this.#store): Promise<Role | undefined> {
    return store.assignments.getRole(tenantId, userId);
  }

  /** What the user holds in the tenant. Installation-wide permissions are held only through `default`. */
  async permissionsIn(userId: string, tenantId: string, store: Store = this.#store): Promise<Set<Permission>> {
    const role = await this.roleIn(userId, tenantId, store);
    if (!role) return new Set();
    const inDefault = tenantId === (this.#defaultTenantId ?? (await this.defaultTenant(store)).id);
    return new Set(permissionsOfRole(role).filter((permission) => inDefault || !installationWidePermissions.has(permission)));
  }

  async holds(actor: Pick<Actor, 'userId'>, permission: Permission, tenantId: string, store: Store = this.#store): Promise<boolean> {
    const where = await this.tenantForPermission(permission, tenantId, store);
    return (await this.permissionsIn(actor.userId, where, store)).has(permission);
  }

  /** Throws PERMISSION_MISSING naming the permission and the tenant it was evaluated in. */
  async require(actor: Pick<Actor, 'userId'>, permission: Permission, tenantId: string, store: Store = this.#store): Promise<void> {
    const where = await this.tenantForPermission(permission, tenantId, store);
    if ((await this.permissionsIn(actor.userId, where, store)).has(permission)) return;
    const tenant = await store.tenants.getById(where);
    throw missingPermission(permission, tenant?.slug ?? where);
  }

  /** The user's role and permissions in each tenant they belong to, and the flat deduplicated list. */
  async effectivePermissions(userId: string, store: Store = this.#store): Promise<{ tenants: TenantPermissions[]; permissions: Permission[] }> {
    const tenants: TenantPermissions[] = [];
    for (const assignment of await store.assignments.listForUser(userId)) {
      const [tenant, role] = await Promise.all([store.tenants.getById(assignment.tenantId), store.roles.getById(assignment.roleId)]);
      if (!tenant || !role) continue;
      // Installation-wide permissions take effect only through the role in `default`; listing them
      // for other tenants would make the dashboard and CLI offer what the server refuses.
      const permissions = permissionsOfRole(role).filter((permission) => tenant.slug === DEFAULT_TENANT_SLUG || !installationWidePermissions.has(permission));
      tenants.push({ tenantId: tenant.id, tenantSlug: tenant.slug, roleId: role.id, roleName: role.name, permissions });
    }
    const flat = new Set(tenants.flatMap((entry) => entry.permissions));
    return { tenants, permissions: [...flat].sort() };
  }
}

export function missingPermission(permission: Permission, tenantSlug: string) {
  return forbidden('PERMISSION_MISSING', `You need the ${permission} permission in tenant "${tenantSlug}" to do this.`, {
    missingPermission: permission,
    tenant: tenantSlug,
  });
}

import { installationWidePermissions, type Permission } from '../permissions.ts';
import { builtInPermissions, type Role } from '../roles/role.ts';
import type { AssignmentTerm } from '../roles/role-elevation.ts';
import { DEFAULT_TENANT_SLUG, type Tenant } from '../tenants/tenant.ts';
import type { RoleFacts, TenantFacts } from './authorization-facts.ts';
import type { Actor } from '../context.ts';
import type { Store } from '../store.ts';
import { fail } from '../error-catalogue.ts';
import { systemClock, type Clock } from '../clock.ts';

export interface TenantPermissions extends AssignmentTerm {
  tenantId: string;
  tenantSlug: string;
  roleId: string;
  roleName: string;
  permissions: Permission[];
}

/** Later than any elevation's end: the role in force then is the permanent one. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';

export function permissionsOfRole(role: Pick<Role, 'id' | 'builtIn' | 'permissions'>): Permission[] {
  return role.builtIn ? (builtInPermissions(role.id) ?? []) : role.permissions;
}

/** Precomputed permission sets: one frozen set per distinct permission list, so a decision is one lookup. */
const MAX_PRECOMPUTED_SETS = 10_000;

/**
 * Answers "may this user do X in tenant T?" from the database: nothing is cached across
 * requests, so a role change takes effect on the user's next request. Within one request the
 * caller's own permissions in a tenant are read once and remembered on the request's actor
 * (the route's check and the domain's re-check of the same permission cost one read), and each
 * role's permission set is computed once per distinct content and shared, frozen.
 */
export class AccessService {
  readonly #store: Store;
  #defaultTenantId: string | undefined;
  /** The request's own decisions: per actor object (one per request), per tenant. */
  readonly #decided = new WeakMap<object, Map<string, ReadonlySet<Permission>>>();
  /** The role objects behind those decisions, and the tenant the request acts in (for the check API's answers). */
  readonly #rolesRead = new WeakMap<object, Map<string, RoleFacts | undefined>>();
  readonly #actingTenants = new WeakMap<object, TenantFacts>();
  readonly #roleSets = new Map<string, ReadonlySet<Permission>>();
  readonly #setsOfRole = new WeakMap<object, { inDefault?: ReadonlySet<Permission>; elsewhere?: ReadonlySet<Permission> }>();

  readonly #clock: Clock;

  /** `clock`: the domain's, so a time-bound assignment ends for every reader at the same instant (role-elevation.ts). */
  constructor(store: Store, clock: Clock = systemClock) {
    this.#store = store;
    this.#clock = clock;
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

  /** The role in force for the user in the tenant now: an elevation's while it lasts, else the permanent one. */
  async roleIn(userId: string, tenantId: string, store: Store = this.#store): Promise<Role | undefined> {
    return store.assignments.getRole(tenantId, userId, this.#clock.now().toISOString());
  }

  /** The role in force for the user in the tenant now, with its term (time-bound: its end and the permanent role after it), in one statement. */
  async roleWithTermIn(userId: string, tenantId: string, store: Store = this.#store): Promise<({ role: Role } & AssignmentTerm) | undefined> {
    return store.assignments.getRoleWithTerm(tenantId, userId, this.#clock.now().toISOString());
  }

  /** The id of `default`, read once: a tenant's id never changes and `default` can't be deleted. */
  async defaultTenantId(store: Store = this.#store): Promise<string> {
    return this.#defaultTenantId ?? (await this.defaultTenant(store)).id;
  }

  /** What the user holds in the tenant. Installation-wide permissions are held only through `default`. */
  async permissionsIn(userId: string, tenantId: string, store: Store = this.#store): Promise<ReadonlySet<Permission>> {
    const role = await this.roleIn(userId, tenantId, store);
    if (!role) return NO_PERMISSIONS;
    return this.permissionSetOf(role, tenantId === (await this.defaultTenantId(store)));
  }

  /**
   * What the user holds in the tenant through their permanent assignment, whatever elevation is in
   * force: the role that will apply once every time-bound one has ended (asked at the end of time).
   */
  async permanentPermissionsIn(userId: string, tenantId: string, store: Store = this.#store): Promise<ReadonlySet<Permission>> {
    const role = await store.assignments.getRole(tenantId, userId, END_OF_TIME);
    if (!role) return NO_PERMISSIONS;
    return this.permissionSetOf(role, tenantId === (await this.defaultTenantId(store)));
  }

  /**
   * What the actor may hand out in the tenant (the escalation rule's "held"): what they hold now
   * and through their permanent assignment. A time-bound role lends its permissions for acting, not
   * for granting, so nothing granted outlives it; without an elevation this is what they hold.
   */
  async grantablePermissionsOf(actor: Pick<Actor, 'userId'>, tenantId: string, store: Store = this.#store): Promise<ReadonlySet<Permission>> {
    const [inForce, permanent] = await Promise.all([this.permissionsOf(actor, tenantId, store), this.permanentPermissionsIn(actor.userId, tenantId, store)]);
    return inForce === permanent ? inForce : new Set([...inForce].filter((permission) => permanent.has(permission)));
  }

  /** A role's permissions as a frozen set, computed once per distinct content (and per `default` or elsewhere). */
  permissionSetOf(role: Pick<Role, 'id' | 'builtIn' | 'permissions'>, inDefault: boolean): ReadonlySet<Permission> {
    // The same role object (read once per request) finds its set without building the key.
    const byObject = this.#setsOfRole.get(role);
    const seen = inDefault ? byObject?.inDefault : byObject?.elsewhere;
    if (seen) return seen;
    // Keyed by content, not by a version stamp: two edits within one clock tick still differ.
    const key = `${inDefault ? 1 : 0}${role.builtIn ? role.id : role.permissions.join(',')}`;
    let set = this.#roleSets.get(key);
    if (!set) {
      if (this.#roleSets.size >= MAX_PRECOMPUTED_SETS) this.#roleSets.clear();
      set = frozenSet(permissionsOfRole(role).filter((permission) => inDefault || !installationWidePermissions.has(permission)));
      this.#roleSets.set(key, set);
    }
    // A role object is never changed once read (an edit is a new row, read into a new object).
    this.#setsOfRole.set(role, { ...byObject, [inDefault ? 'inDefault' : 'elsewhere']: set });
    return set;
  }

  /**
   * The actor's own permissions in the tenant, read at most once per request outside a
   * transaction: the route's decision is reused by the domain's re-checks of a read. Checks made
   * through a transaction's store always read (see below), so a write is guarded by what holds
   * when it is made.
   */
  async permissionsOf(actor: Pick<Actor, 'userId'>, tenantId: string, store: Store = this.#store): Promise<ReadonlySet<Permission>> {
    // Inside a transaction the check must hold at the moment of the change it guards (a long import
    // job's batches, a command that waited for a lock): read there, afresh, and remember nothing.
    if (store !== this.#store) return this.permissionsIn(actor.userId, tenantId, store);
    let decided = this.#decided.get(actor);
    const known = decided?.get(tenantId);
    if (known) return known;
    const set = await this.permissionsIn(actor.userId, tenantId, store);
    if (!decided) this.#decided.set(actor, (decided = new Map()));
    decided.set(tenantId, set);
    return set;
  }

  /** Remembers, for this request's actor, what a single-statement authorization already read (see authenticate.ts). */
  remember(actor: Pick<Actor, 'userId'>, tenantId: string, role: RoleFacts | undefined, inDefault: boolean): void {
    let decided = this.#decided.get(actor);
    if (!decided) this.#decided.set(actor, (decided = new Map()));
    decided.set(tenantId, role ? this.permissionSetOf(role, inDefault) : NO_PERMISSIONS);
    let roles = this.#rolesRead.get(actor);
    if (!roles) this.#rolesRead.set(actor, (roles = new Map()));
    roles.set(tenantId, role);
  }

  /**
   * The role this request's actor holds in the tenant, as the request already read it (its
   * authorization, or a check), or 'unread': the check API names the granting role without a read.
   */
  rememberedRole(actor: Pick<Actor, 'userId'>, tenantId: string): RoleFacts | undefined | 'unread' {
    const roles = this.#rolesRead.get(actor);
    return roles?.has(tenantId) ? roles.get(tenantId) : 'unread';
  }

  /** The tenant the request acts in, as its authorization read it. */
  rememberTenant(actor: Pick<Actor, 'userId'>, tenant: TenantFacts): void {
    this.#actingTenants.set(actor, tenant);
  }

  rememberedTenant(actor: Pick<Actor, 'userId'>): TenantFacts | undefined {
    return this.#actingTenants.get(actor);
  }

  async holds(actor: Pick<Actor, 'userId'>, permission: Permission, tenantId: string, store: Store = this.#store): Promise<boolean> {
    const where = await this.tenantForPermission(permission, tenantId, store);
    return (await this.permissionsOf(actor, where, store)).has(permission);
  }

  /** Throws PERMISSION_MISSING naming the permission and the tenant it was evaluated in. */
  async require(actor: Pick<Actor, 'userId'>, permission: Permission, tenantId: string, store: Store = this.#store): Promise<void> {
    const where = await this.tenantForPermission(permission, tenantId, store);
    if ((await this.permissionsOf(actor, where, store)).has(permission)) return;
    const tenant = await store.tenants.getById(where);
    throw missingPermission(permission, tenant?.slug ?? where);
  }

  /** The user's role and permissions in each tenant they belong to, and the flat deduplicated list. */
  async effectivePermissions(userId: string, store: Store = this.#store): Promise<{ tenants: TenantPermissions[]; permissions: Permission[] }> {
    // One statement: each membership with its tenant's slug and its role.
    const memberships = await store.assignments.listMembershipsOfUser(userId, this.#clock.now().toISOString());
    const tenants: TenantPermissions[] = memberships.map(({ tenantId, tenantSlug, role, endsAt, thenRole }) => ({
      tenantId,
      tenantSlug,
      roleId: role.id,
      roleName: role.name,
      endsAt,
      thenRole,
      // Installation-wide permissions take effect only through the role in `default`; listing them
      // for other tenants would make the dashboard and CLI offer what the server refuses.
      permissions: permissionsOfRole(role).filter((permission) => tenantSlug === DEFAULT_TENANT_SLUG || !installationWidePermissions.has(permission)),
    }));
    const flat = new Set(tenants.flatMap((entry) => entry.permissions));
    return { tenants, permissions: [...flat].sort() };
  }
}

const frozenSet = <T>(items: readonly T[]): ReadonlySet<T> => {
  const set = new Set(items);
  // A shared set must not be changed by whoever receives it.
  set.add = set.delete = () => {
    throw new TypeError('a precomputed permission set is read-only');
  };
  set.clear = () => {
    throw new TypeError('a precomputed permission set is read-only');
  };
  return Object.freeze(set);
};

const NO_PERMISSIONS: ReadonlySet<Permission> = frozenSet<Permission>([]);

export function missingPermission(permission: Permission, tenantSlug: string) {
  return fail('PERMISSION_MISSING', { permission, tenantSlug }, {
    missingPermission: permission,
    tenant: tenantSlug,
  });
}

import type { Actor, DomainContext } from '../context.ts';
import { allPermissions, installationWidePermissions, type Permission } from '../permissions.ts';
import { checkPermissionNames } from '../roles/role.ts';
import { DEFAULT_TENANT_SLUG } from '../tenants/tenant.ts';
import type { TwoFactorService } from '../two-factor/two-factor-service.ts';
import type { AccessService } from './access-service.ts';
import { explainAccess, type AccessExplanation, type TenantRef } from './explain.ts';
import { loadVisible, permissionsGrantedIn } from './guards.ts';

/**
 * `GET /api/v1/users/:id/explain`: loads the facts explain.ts answers from, in a constant number
 * of statements whatever the number of permissions asked (the user; their assignments with
 * assigners; the roles visible where permissions are decided; per such tenant, the holders of a
 * role with AssignRoles there; the newest role.assigned events; the 2FA state and policy).
 */
export class ExplainService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #twoFactor: TwoFactorService;

  constructor(context: DomainContext, access: AccessService, twoFactor: TwoFactorService) {
    this.#context = context;
    this.#access = access;
    this.#twoFactor = twoFactor;
  }

  /** ViewUsers where the request acts; a user who isn't a member there is "not found". */
  async explain(actor: Actor, userId: string, permissionName?: string): Promise<AccessExplanation> {
    const { store } = this.#context;
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const permissions = permissionName === undefined ? allPermissions : [permissionNamed(permissionName)];
    const user = await loadVisible(store, actor, userId);
    const now = this.#context.clock.now().toISOString();
    const [defaultTenantId, assignments] = await Promise.all([this.#access.defaultTenantId(store), store.governance.listAssignmentsOfUser(user.id, now)]);
    const defaultTenant: TenantRef = { id: defaultTenantId, slug: DEFAULT_TENANT_SLUG };
    const acting = assignments.find((assignment) => assignment.tenantId === actor.tenantId);
    const tenant: TenantRef = { id: actor.tenantId, slug: acting?.tenantSlug ?? (await store.tenants.getById(actor.tenantId))?.slug ?? actor.tenantId };
    const needsDefault = tenant.id !== defaultTenant.id && permissions.some((entry) => installationWidePermissions.has(entry));
    const defaultVisible = tenant.id === defaultTenant.id || (needsDefault && (await this.#access.holds(actor, 'ViewUsers', defaultTenant.id)));
    // Where the permissions asked are decided: the tenant asked about, and `default` for installation-wide ones.
    const decidedIn = [...new Set(permissions.map((entry) => (installationWidePermissions.has(entry) ? defaultTenant.id : tenant.id)))].filter(
      (tenantId) => tenantId === tenant.id || defaultVisible,
    );
    const [roles, events, twoFactorEnrollmentRequired] = await Promise.all([
      store.governance.listRolesVisibleIn([...new Set([...decidedIn, user.homeTenantId])]),
      store.governance.latestRoleAssignedEvents(user.id, decidedIn),
      this.#twoFactor.enrollmentRequired(user.id, [user.homeTenantId, tenant.id]),
    ]);
    const holders = new Map(
      await Promise.all(
        decidedIn.map(async (tenantId) => {
          const inDefault = tenantId === defaultTenant.id;
          const assigning = roles.filter((role) => (role.tenantId === null || role.tenantId === tenantId) && permissionsGrantedIn(role, inDefault).has('AssignRoles'));
          const found = await store.governance.listHoldersWithRoles(
            tenantId,
            assigning.map((role) => role.id),
            [user.homeTenantId],
            now,
          );
          return [tenantId, found] as const;
        }),
      ),
    );
    return explainAccess({ user, tenant, defaultTenant, defaultVisible, assignments, roles, holders, events, twoFactorEnrollmentRequired, permissions });
  }
}

/** A permission of the catalogue by name, in any case (`manageworkflows` is ManageWorkflows); else PERMISSION_UNKNOWN (400). */
function permissionNamed(name: string): Permission {
  const wanted = name.trim().toLowerCase();
  return allPermissions.find((permission) => permission.toLowerCase() === wanted) ?? checkPermissionNames([name])[0]!;
}

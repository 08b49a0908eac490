import { createSophonAuthzClient, type SophonAuthz, type SophonAuthzOptions } from './client.ts';
import { requiresPermissionWith, type RequiresPermissionOptions } from './fastify.ts';
import type { Permission } from './permissions.ts';

export * from './client.ts';
export { credentialOf, refusalOf, requiresPermissionWith, type AllowedAnswer, type RequiresPermissionOptions } from './fastify.ts';
export * from './permissions.ts';

export interface SophonAuthzWithFastify extends SophonAuthz {
  /** A Fastify preHandler: lets the request through only when its caller holds `permission` (see fastify.ts). */
  requiresPermission(permission: Permission, options?: RequiresPermissionOptions): ReturnType<typeof requiresPermissionWith>;
}

/** Sophon as the decision point: `check` / `checkMany` for any code, `requiresPermission` for Fastify routes. */
export function createSophonAuthz(options: SophonAuthzOptions): SophonAuthzWithFastify {
  const client = createSophonAuthzClient(options);
  return {
    check: client.check,
    checkMany: client.checkMany,
    requiresPermission: (permission, routeOptions) => requiresPermissionWith(client, permission, routeOptions),
  };
}

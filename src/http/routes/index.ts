import type { AnyRoute } from '../route.ts';
import { auditRoutes } from './audit.ts';
import { authorizationRoutes } from './authorization.ts';
import { bulkRoutes } from './bulk.ts';
import { authRoutes } from './auth.ts';
import { dashboardRoutes } from './dashboard.ts';
import { meRoutes } from './me.ts';
import { resourceRoutes } from './resources.ts';
import { roleRoutes } from './roles.ts';
import { systemRoutes } from './system.ts';
import { tenantRoutes } from './tenants.ts';
import { tokenRoutes } from './tokens.ts';
import { userRoutes } from './users.ts';
import { userLifecycleRoutes } from './user-lifecycle.ts';
import { twoFactorRoutes } from './two-factor.ts';
import { authenticationSettingsRoutes } from './authentication-settings.ts';
import { ssoRoutes } from './sso.ts';
import { governanceRoutes } from './governance.ts';
import { accessRequestRoutes } from './access-requests.ts';

/** The route table: the server, the OpenAPI document and the permission-matrix test all read it. */
export const apiRoutes: readonly AnyRoute[] = [
  ...systemRoutes,
  ...authRoutes,
  ...ssoRoutes,
  ...meRoutes,
  ...tenantRoutes,
  ...bulkRoutes,
  ...userRoutes,
  ...userLifecycleRoutes,
  ...tokenRoutes,
  ...roleRoutes,
  ...auditRoutes,
  ...resourceRoutes,
  ...twoFactorRoutes,
  ...authenticationSettingsRoutes,
  ...dashboardRoutes,
  ...governanceRoutes,
  ...accessRequestRoutes,
  ...authorizationRoutes,
];

import { AccessService } from './access/access-service.ts';
import { AccessGuards } from './access/guards.ts';
import { AuthorizationCheckService } from './access/authorization-check-service.ts';
import { AuditService } from './audit/audit-service.ts';
import { ExplainService } from './access/explain-service.ts';
import { AccessReviewService } from './access/access-review-service.ts';
import { AccessRequestService } from './access/access-request-service.ts';
import type { DomainContext } from './context.ts';
import { ResourceService } from './resources/resource-service.ts';
import { RoleService } from './roles/role-service.ts';
import { AuthService } from './sessions/auth-service.ts';
import { SessionService } from './sessions/session-service.ts';
import { TenantService } from './tenants/tenant-service.ts';
import { TokenService } from './tokens/token-service.ts';
import { UserService } from './users/user-service.ts';
import { UserLifecycleService } from './users/user-lifecycle-service.ts';
import { UserTenancyService } from './users/user-tenancy-service.ts';
import { UserCredentialService } from './users/user-credential-service.ts';
import { UserCsvService } from './users/user-csv-service.ts';
import { ImportJobService } from './users/import-job-service.ts';
import { PasswordHashPool } from './users/password-hash-pool.ts';
import { OneTimeLinkService } from './users/one-time-link-service.ts';
import { AccountService } from './users/account-service.ts';
import { ForgotPasswordService } from './users/forgot-password-service.ts';
import { OrphanService } from './resources/orphan-service.ts';
import { UserMembershipService } from './users/user-membership-service.ts';
import { MailService } from './mail/mail-service.ts';
import { AuthenticationPolicyService } from './sessions/authentication-policy-service.ts';
import { LoginThrottle } from './login-throttle/login-throttle-service.ts';
import { TwoFactorService } from './two-factor/two-factor-service.ts';
import { SsoService } from './sso/sso-service.ts';
import { OpenIdConnectProvider } from './sso/openid-connect-provider.ts';

export type Services = ReturnType<typeof createServices>;

export function createServices(context: DomainContext) {
  const access = new AccessService(context.store, context.clock);
  const guards = new AccessGuards(access);
  const tenants = new TenantService(context, access, guards);
  const links = new OneTimeLinkService(context);
  const users = new UserService(context, access, guards, tenants, links);
  const userLifecycle = new UserLifecycleService(context, access, guards);
  const userTenancy = new UserTenancyService(context, access, guards, tenants);
  const authenticationPolicy = new AuthenticationPolicyService(context, access);
  const loginThrottle = new LoginThrottle(context, users);
  links.useThrottle(loginThrottle);
  const twoFactor = new TwoFactorService(context, users, authenticationPolicy, loginThrottle);
  const auth = new AuthService(context, access, twoFactor, loginThrottle, authenticationPolicy);
  const sessions = new SessionService(context, users, authenticationPolicy);
  const sso = context.settings.sso?.enabled ? context.settings.sso : undefined;
  return {
    context,
    access,
    guards,
    authorizationChecks: new AuthorizationCheckService(context.store, access),
    tenants,
    users,
    userLifecycle,
    userTenancy,
    userCredentials: new UserCredentialService(context, guards, links),
    userCsv: new UserCsvService(context, access, users),
    importJobs: new ImportJobService(context, access, users, new PasswordHashPool()),
    roles: new RoleService(context, access, guards),
    auth,
    sso: new SsoService(context, access, guards, auth, loginThrottle, sso ? new OpenIdConnectProvider(sso) : undefined),
    twoFactor,
    loginThrottle,
    authenticationPolicy,
    tokens: new TokenService(context, users, guards),
    sessions,
    audit: new AuditService(context, access, twoFactor),
    resources: new ResourceService(context, access),
    links,
    forgotPassword: new ForgotPasswordService(context, access, links, loginThrottle),
    accounts: new AccountService(context, access, users, links, sessions),
    orphans: new OrphanService(context, access),
    userMemberships: new UserMembershipService(context, access),
    mail: new MailService(context, access),
    explain: new ExplainService(context, access, twoFactor),
    accessRequests: new AccessRequestService(context, access, guards, userTenancy),
    // Review decisions go through the ordinary commands (stateless services: another instance is the same service).
    accessReview: new AccessReviewService(context, access, { userLifecycle, userTenancy, tokens: new TokenService(context, users, guards), roles: new RoleService(context, access, guards) }),
  };
}

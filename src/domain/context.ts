import type { Clock } from './clock.ts';
import type { Store } from './store.ts';
import type { AuthenticationSettings } from './sessions/authentication-policy.ts';
import type { MasterKeyState } from './two-factor/secret-box.ts';
import type { SsoSettings } from './sso/sso-settings.ts';

/** Settings the domain enforces; read from appsettings.json by src/config. */
export interface DomainSettings {
  passwordMinLength: number;
  maxCustomRolesPerTenant: number;
  /**
   * The longest an access request can be approved for, in milliseconds (Sophon:Rbac:MaxElevation),
   * and per tenant slug where set (Sophon:Rbac:Tenants:<slug>:MaxElevation). Absent: one day.
   */
  maxElevation?: { installation: number; tenants: Record<string, number> };
  /** Milliseconds. */
  sessionIdleTimeout: number;
  sessionAbsoluteTimeout: number;
  /** How long a one-time password set by an admin works; milliseconds. */
  initialPasswordLifetime: number;
  invitationLifetime: number;
  passwordResetLifetime: number;
  /** Where users reach the dashboard; one-time links point there. */
  publicUrl: string;
  /** Mail goes out only when SMTP is configured; otherwise one-time credentials go to the admin. */
  mailEnabled: boolean;
  /** 2FA, per-tenant session policy and brute-force settings; defaults when absent. */
  authentication?: AuthenticationSettings;
  /** Single sign-on through an OpenID Provider; absent when not enabled. */
  sso?: SsoSettings;
}

export interface DomainContext {
  store: Store;
  clock: Clock;
  settings: DomainSettings;
  /** The key that seals TOTP secrets and signs trusted-device cookies; absent or unavailable disables both. */
  masterKey?: MasterKeyState;
}

/** Who is acting, in which tenant, from where. Services take it first. */
export interface Actor {
  userId: string;
  email: string;
  homeTenantId: string;
  /** The tenant the request acts in. */
  tenantId: string;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  tokenId: string | null;
  /**
   * Require 2FA doesn't apply to the request (src/http/authenticate.ts): a single sign-on session
   * or an account without a password answers to the identity provider's MFA. Absent: it applies.
   */
  twoFactorExempt?: boolean;
}

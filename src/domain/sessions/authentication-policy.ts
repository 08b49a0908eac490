import type { DetectorSettings } from '../login-throttle/brute-force-detector.ts';

/** Per-tenant overrides in appsettings.json: `Sophon:Auth:Tenants:<slug>:{IdleTimeout, AbsoluteTimeout, RequireTwoFactor}`. */
export interface TenantAuthenticationSettings {
  /** Milliseconds. */
  idleTimeout?: number;
  absoluteTimeout?: number;
  requireTwoFactor?: boolean;
}

/** The authentication settings from appsettings.json (src/config maps them). */
export interface AuthenticationSettings {
  /** `Sophon:Auth:RequireTwoFactor`: every user must have 2FA; the admin API can't lift it. */
  requireTwoFactor: boolean;
  /** By tenant slug. */
  tenants: Record<string, TenantAuthenticationSettings>;
  /** The issuer shown in authenticator apps. */
  twoFactorIssuer: string;
  bruteForce: {
    account: DetectorSettings & { maxConsecutiveFailures: number };
    ip: DetectorSettings;
    /** How long a browser that completed a sign-in stays trusted by the account lock (milliseconds). */
    trustedDeviceLifetime: number;
  };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const defaultAuthenticationSettings: AuthenticationSettings = {
  requireTwoFactor: false,
  tenants: {},
  twoFactorIssuer: 'Sophon',
  bruteForce: {
    account: { failureFactor: 5, waitIncrement: 30 * SECOND, maxWait: 5 * MINUTE, failureResetTime: 12 * HOUR, maxConsecutiveFailures: 100 },
    ip: { failureFactor: 10, waitIncrement: MINUTE, maxWait: 15 * MINUTE, failureResetTime: 12 * HOUR },
    trustedDeviceLifetime: 90 * DAY,
  },
};

/** The scope id of installation-wide overrides; tenant overrides use the tenant's id. */
export const GLOBAL_SCOPE = 'global';

/** Overrides set through the admin API, stored in the database so every node sees them at once. */
export interface AuthPolicyRecord {
  scopeId: string;
  requireTwoFactor: boolean | null;
  idleTimeoutSeconds: number | null;
  absoluteTimeoutSeconds: number | null;
  updatedAt: string;
  updatedBy: string | null;
}

export type PolicySource = 'default' | 'appsettings' | 'tenant appsettings' | 'admin API' | 'tenant admin API';

/** What applies to the users at home in a tenant (timeouts) or acting in it (2FA). */
export interface EffectivePolicy {
  /** Milliseconds. */
  idleTimeout: number;
  absoluteTimeout: number;
  requireTwoFactor: boolean;
  sources: { idleTimeout: PolicySource; absoluteTimeout: PolicySource; requireTwoFactor: PolicySource };
}

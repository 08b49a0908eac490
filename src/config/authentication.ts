import type { AuthenticationSettings } from '../domain/sessions/authentication-policy.ts';
import type { AppSettings } from './config.ts';

/** `Sophon:Auth` as the domain takes it: 2FA, per-tenant session policy and the brute-force detector. */
export function authenticationSettingsOf(settings: AppSettings): AuthenticationSettings {
  const auth = settings.Sophon.Auth;
  const { PerAccount, PerIp, TrustedDeviceLifetime } = auth.BruteForce;
  return {
    requireTwoFactor: auth.RequireTwoFactor,
    twoFactorIssuer: auth.TwoFactor.Issuer,
    tenants: Object.fromEntries(
      Object.entries(auth.Tenants).map(([slug, tenant]) => [
        slug,
        {
          ...(tenant.IdleTimeout === undefined ? {} : { idleTimeout: tenant.IdleTimeout }),
          ...(tenant.AbsoluteTimeout === undefined ? {} : { absoluteTimeout: tenant.AbsoluteTimeout }),
          ...(tenant.RequireTwoFactor === undefined ? {} : { requireTwoFactor: tenant.RequireTwoFactor }),
        },
      ]),
    ),
    bruteForce: {
      account: {
        failureFactor: PerAccount.FailureFactor,
        waitIncrement: PerAccount.WaitIncrement,
        maxWait: PerAccount.MaxWait,
        failureResetTime: PerAccount.FailureResetTime,
        maxConsecutiveFailures: PerAccount.MaxConsecutiveFailures,
      },
      ip: { failureFactor: PerIp.FailureFactor, waitIncrement: PerIp.WaitIncrement, maxWait: PerIp.MaxWait, failureResetTime: PerIp.FailureResetTime },
      trustedDeviceLifetime: TrustedDeviceLifetime,
    },
  };
}

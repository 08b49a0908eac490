import type { SsoSettings } from '../domain/sso/sso-settings.ts';
import type { AppSettings } from './config.ts';

/** `Sophon:Auth:Sso` as the domain takes it; undefined unless enabled (validation made Issuer and ClientId present then). */
export function ssoSettingsOf(settings: AppSettings): SsoSettings | undefined {
  const sso = settings.Sophon.Auth.Sso;
  if (!sso.Enabled || sso.Issuer === undefined || sso.ClientId === undefined) return undefined;
  return {
    enabled: true,
    issuer: sso.Issuer,
    clientId: sso.ClientId,
    ...(sso.ClientSecret === undefined ? {} : { clientSecret: sso.ClientSecret }),
    scopes: sso.Scopes,
    groupClaim: sso.GroupClaim,
    // Object key order is the evaluation order, as written in appsettings.json.
    roleMappings: Object.entries(sso.RoleMappings).map(([group, role]) => ({ group, role })),
    tenant: sso.Tenant,
    autoCreateUsers: sso.AutoCreateUsers,
    ...(sso.DefaultRole === undefined ? {} : { defaultRole: sso.DefaultRole }),
    buttonLabel: sso.ButtonLabel,
    trustEmail: sso.TrustEmail,
    ...(sso.MaxAge === undefined ? {} : { maxAge: sso.MaxAge }),
    sessionEndsWithIdToken: sso.SessionEndsWithIdToken,
    linkExistingAccountsByEmail: sso.LinkExistingAccountsByEmail,
    allowedEmailDomains: [...new Set(sso.AllowedEmailDomains)],
    idTokenAlgorithms: [...new Set(sso.IdTokenAlgorithms)],
  };
}

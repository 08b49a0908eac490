import type { IdTokenAlgorithm } from './id-token-signature.ts';

/** `Sophon:Auth:Sso` as the domain takes it (src/config/sso.ts converts it); see docs/sso.md. */
export interface SsoSettings {
  enabled: boolean;
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** Space-separated; always includes `openid`. */
  scopes: string;
  /** The claim holding the groups; a dotted path reaches into an object (`realm_access.roles`). */
  groupClaim: string;
  /** In evaluation order: the first mapping whose group the user is in wins. */
  roleMappings: readonly RoleMapping[];
  /** The tenant (slug) the mapped role applies in, and the home of users SSO creates. */
  tenant: string;
  autoCreateUsers: boolean;
  /** The role when no mapping matches; absent: the login is refused. */
  defaultRole?: string;
  buttonLabel: string;
  /** Accept the provider's `email` as verified without `email_verified: true`. */
  trustEmail: boolean;
  /** Milliseconds; sent as `max_age`, and the session ends by `auth_time` + this. */
  maxAge?: number;
  /** The session ends at the ID token's `exp`. */
  sessionEndsWithIdToken: boolean;
  /**
   * An unlinked identity whose verified email belongs to an existing account homed in `tenant`
   * is linked to it (the account's earlier credentials retired); false: refused (SSO_ACCOUNT_EXISTS).
   */
  linkExistingAccountsByEmail: boolean;
  /** Lower-case domains; a verified email elsewhere is refused (SSO_EMAIL_DOMAIN_NOT_ALLOWED). Empty: any domain. */
  allowedEmailDomains: readonly string[];
  /** The JWS algorithms an ID token may be signed with (public-key ones only), narrowed at discovery to those the provider offers. */
  idTokenAlgorithms: readonly IdTokenAlgorithm[];
}

export interface RoleMapping {
  group: string;
  role: string;
}

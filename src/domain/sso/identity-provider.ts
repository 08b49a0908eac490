/** What SsoService needs from an OpenID Provider; src/domain/sso/openid-connect-provider.ts implements it with openid-client. */
export interface AuthorizationRequest {
  /** Where to send the browser. */
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * A validated answer: the code exchanged with PKCE; the ID token's signature verified against
 * the provider's JWKS with an allowed algorithm, its issuer, audience, nonce and expiry checked.
 * Its issue time is checked by SsoService, against the domain's clock.
 */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  /** The ID token's claims, completed by the UserInfo endpoint's (the ID token's win). */
  claims: Record<string, unknown>;
  /** The ID token's `exp`, in milliseconds. */
  idTokenExpiresAt: number;
  /** The ID token's `iat`, in milliseconds. */
  issuedAt: number;
  /** The ID token's `auth_time` (when the person last authenticated at the provider), in milliseconds. */
  authTime: number | null;
}

export interface IdentityProvider {
  readonly issuer: string;
  startAuthorization(redirectUri: string): Promise<AuthorizationRequest>;
  finishAuthorization(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<VerifiedIdentity>;
}

/**
 * What the callback needs to finish a sign-in that `GET /auth/sso` started: the PKCE
 * verifier and the nonce, found by the hash of the `state` the browser brings back (in the
 * query and in its state cookie). Kept in the database, so any node sharing it can finish
 * a sign-in another node began; single-use and short-lived.
 */
export interface SsoLoginState {
  id: string;
  /** sha256 of the `state` value; the value itself is only in the browser's cookie and the provider's redirect. */
  stateHash: string;
  codeVerifier: string;
  nonce: string;
  /** The provider the sign-in went to: a callback is refused if the configuration changed meanwhile. */
  issuer: string;
  createdAt: string;
  expiresAt: string;
  consumedAt: string | null;
}

/** Long enough to type a password and answer an MFA prompt at the provider. */
export const SSO_LOGIN_STATE_LIFETIME_MS = 10 * 60_000;

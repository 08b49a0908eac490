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

export interface SsoLoginStateStore {
  create(state: SsoLoginState): Promise<void>;
  /**
   * Spends the state if, and only if, it is unspent and unexpired at `at`, returning it;
   * exactly one of concurrent calls (on any node) gets it, replays get undefined.
   */
  consume(stateHash: string, at: string): Promise<SsoLoginState | undefined>;
  deleteExpired(before: string): Promise<number>;
}

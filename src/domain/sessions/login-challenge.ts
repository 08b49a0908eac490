/**
 * The state between a correct password and the second factor: an opaque, short-lived,
 * single-use challenge. It is not a session: it reaches only POST /auth/login/two-factor.
 */
export interface LoginChallenge {
  id: string;
  userId: string;
  /** sha256 of the challenge handed to the client. */
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
  consumedAt: string | null;
  failedAttempts: number;
}

/** How long the second step may take, and how many wrong codes a challenge survives. */
export const LOGIN_CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const LOGIN_CHALLENGE_MAX_FAILURES = 5;

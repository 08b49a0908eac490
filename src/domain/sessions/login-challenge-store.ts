import type { LoginChallenge } from './login-challenge.ts';

export interface LoginChallengeStore {
  create(challenge: LoginChallenge): Promise<void>;
  getByTokenHash(tokenHash: string): Promise<LoginChallenge | undefined>;
  /** Spends the challenge if, and only if, it is unspent: exactly one of concurrent calls gets true. */
  consume(challengeId: string, at: string): Promise<boolean>;
  /** Counts a wrong code; returns the new count. */
  recordFailure(challengeId: string): Promise<number>;
  deleteExpired(before: string): Promise<number>;
}

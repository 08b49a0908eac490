import type { SsoLoginState } from './sso-login-state.ts';

export interface SsoLoginStateStore {
  create(state: SsoLoginState): Promise<void>;
  /**
   * Spends the state if, and only if, it is unspent and unexpired at `at`, returning it;
   * exactly one of concurrent calls (on any node) gets it, replays get undefined.
   */
  consume(stateHash: string, at: string): Promise<SsoLoginState | undefined>;
  deleteExpired(before: string): Promise<number>;
}

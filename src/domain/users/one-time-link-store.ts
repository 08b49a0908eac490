import type { OneTimeLink, OneTimeLinkPurpose } from './one-time-link.ts';

export interface OneTimeLinkStore {
  create(link: OneTimeLink): Promise<void>;
  getByHash(tokenHash: string): Promise<OneTimeLink | undefined>;
  /**
   * Marks the link used if, and only if, it is still unused: of any number of concurrent
   * redemptions (on any node), exactly one gets true.
   */
  consume(linkId: string, at: string): Promise<boolean>;
  /** Retires a user's unused links of a purpose (a new reset link replaces the old). */
  /** Retires the user's unused links of the purpose; says whether any of them was to revoke API tokens. */
  retireUnused(userId: string, purpose: OneTimeLinkPurpose, at: string): Promise<{ revokedTokens: boolean }>;
  /**
   * Gives an unused, unexpired link a new token hash (a mailed link gets its token only when
   * the mail is sent); false when the link was used, retired or expired meanwhile.
   */
  rekey(linkId: string, tokenHash: string, now: string): Promise<boolean>;
}

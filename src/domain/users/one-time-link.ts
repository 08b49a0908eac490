export type OneTimeLinkPurpose = 'invitation' | 'password_reset';

/** A single-use, expiring link that lets a user set a password. Only its hash is stored. */
export interface OneTimeLink {
  id: string;
  userId: string;
  purpose: OneTimeLinkPurpose;
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  createdBy: string | null;
}

export interface OneTimeLinkStore {
  create(link: OneTimeLink): Promise<void>;
  getByHash(tokenHash: string): Promise<OneTimeLink | undefined>;
  /**
   * Marks the link used if, and only if, it is still unused: of any number of concurrent
   * redemptions (on any node), exactly one gets true.
   */
  consume(linkId: string, at: string): Promise<boolean>;
  /** Retires a user's unused links of a purpose (a new reset link replaces the old). */
  retireUnused(userId: string, purpose: OneTimeLinkPurpose, at: string): Promise<void>;
}

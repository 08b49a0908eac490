export type OneTimeLinkPurpose = 'invitation' | 'password_reset';

/**
 * How a one-time link reached (or will reach) the user: `queued` in the outbox (not yet sent:
 * the user's activity tells when it is), or `manual`, shown to the admin this once to hand over.
 */
export type LinkDelivery = { delivery: 'queued'; messageId: string; expiresAt: string } | { delivery: 'manual'; link: string; expiresAt: string };

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
  /** A reset link whose issuer chose to revoke the user's API tokens: redeeming it revokes those still in force. */
  revokeTokens?: boolean;
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
  /** Retires the user's unused links of the purpose; says whether any of them was to revoke API tokens. */
  retireUnused(userId: string, purpose: OneTimeLinkPurpose, at: string): Promise<{ revokedTokens: boolean }>;
  /**
   * Gives an unused, unexpired link a new token hash (a mailed link gets its token only when
   * the mail is sent); false when the link was used, retired or expired meanwhile.
   */
  rekey(linkId: string, tokenHash: string, now: string): Promise<boolean>;
}

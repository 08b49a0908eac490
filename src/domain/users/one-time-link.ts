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

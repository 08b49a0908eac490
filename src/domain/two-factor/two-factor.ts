/** A user's TOTP enrolment: pending until confirmed with a code, then enabled. */
export type TwoFactorStatus = 'pending' | 'enabled';

export interface TwoFactorRecord {
  userId: string;
  status: TwoFactorStatus;
  /** The TOTP secret sealed with AES-256-GCM (see secret-box.ts); never stored in the clear. */
  secretCiphertext: string;
  /** The id of the key it was sealed with. */
  secretKeyId: string;
  createdAt: string;
  enabledAt: string | null;
  /** The last time step a code was accepted for: that code and every older one are spent. */
  lastUsedStep: number | null;
}

export interface RecoveryCodeRecord {
  id: string;
  userId: string;
  /** SHA-256 of the normalized code. */
  codeHash: string;
  createdAt: string;
  usedAt: string | null;
}

/** What decides whether a user must enrol, read in one statement. */
export interface TwoFactorState {
  record: TwoFactorRecord | undefined;
  /** When an admin reset the user's 2FA, holding them to enrol again; null when nothing is owed. */
  reenrolmentRequiredAt: string | null;
}

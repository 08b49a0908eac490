import type { RecoveryCodeRecord, TwoFactorRecord, TwoFactorState } from './two-factor.ts';

export interface TwoFactorStore {
  get(userId: string): Promise<TwoFactorRecord | undefined>;
  /** The enrolment and the re-enrolment obligation at once (undefined record and null for an unknown user). */
  getState(userId: string): Promise<TwoFactorState>;
  /** Sets (a time) or clears (null) the obligation to enrol again that an admin reset leaves. */
  setReenrolmentRequired(userId: string, at: string | null): Promise<void>;
  /** Replaces a pending enrolment; returns false (and writes nothing) when 2FA is already enabled. */
  savePending(record: TwoFactorRecord): Promise<boolean>;
  /** Turns a pending enrolment on; false when there is none (confirmed elsewhere, or reset). */
  enable(userId: string, enabledAt: string, lastUsedStep: number): Promise<boolean>;
  /**
   * Compare-and-set: records `step` as the last accepted one only when it is later than the
   * stored one, so of two nodes accepting the same code at once exactly one succeeds.
   */
  acceptStep(userId: string, step: number): Promise<boolean>;
  /** Removes the enrolment and the recovery codes; returns whether an enrolment existed. */
  delete(userId: string): Promise<boolean>;
  /** How many secrets each key has sealed (key id → count). */
  countByKey(): Promise<Map<string, number>>;
  replaceRecoveryCodes(userId: string, codes: RecoveryCodeRecord[]): Promise<void>;
  /** Marks an unused code as used; false when no unused code has this hash. Single use across nodes. */
  consumeRecoveryCode(userId: string, codeHash: string, usedAt: string): Promise<boolean>;
  countUnusedRecoveryCodes(userId: string): Promise<number>;
}

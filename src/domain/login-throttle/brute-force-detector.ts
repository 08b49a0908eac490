/**
 * Keycloak's brute-force detector, as pure functions over a stored failure record.
 *
 * - After `failureFactor` failures, each attempt must wait `waitIncrement × ⌊failures / failureFactor⌋`
 *   after the last failure, at most `maxWait`.
 * - `failureResetTime` after the last failure, the count starts again from zero.
 * - With `maxConsecutiveFailures` (NIST SP 800-63B §5.2.2: no more than 100), a count that
 *   reaches it is a hard lock: it neither waits out nor resets with time, only a success
 *   (from a trusted device) or an admin unlock clears it.
 */
export interface DetectorSettings {
  failureFactor: number;
  /** Milliseconds. */
  waitIncrement: number;
  maxWait: number;
  failureResetTime: number;
  maxConsecutiveFailures?: number;
}

export interface FailureRecord {
  failures: number;
  lastFailureAt: string | null;
}

export type Lock = { kind: 'none' } | { kind: 'wait'; until: number } | { kind: 'hard' };

export const NO_FAILURES: FailureRecord = { failures: 0, lastFailureAt: null };

function isHard(record: FailureRecord, settings: DetectorSettings): boolean {
  return settings.maxConsecutiveFailures !== undefined && record.failures >= settings.maxConsecutiveFailures;
}

/** The record as it stands at `now`: the count resets after the failure reset time, unless hard-locked. */
export function currentRecord(record: FailureRecord | undefined, settings: DetectorSettings, now: number): FailureRecord {
  if (!record || record.failures <= 0 || record.lastFailureAt === null) return NO_FAILURES;
  if (isHard(record, settings)) return record;
  if (now - Date.parse(record.lastFailureAt) >= settings.failureResetTime) return NO_FAILURES;
  return record;
}

export function waitAfter(failures: number, settings: DetectorSettings): number {
  if (failures < settings.failureFactor) return 0;
  return Math.min(settings.waitIncrement * Math.floor(failures / settings.failureFactor), settings.maxWait);
}

export function lockOf(stored: FailureRecord | undefined, settings: DetectorSettings, now: number): Lock {
  const record = currentRecord(stored, settings, now);
  if (isHard(record, settings)) return { kind: 'hard' };
  const wait = waitAfter(record.failures, settings);
  if (record.lastFailureAt === null || wait === 0) return { kind: 'none' };
  const until = Date.parse(record.lastFailureAt) + wait;
  return now < until ? { kind: 'wait', until } : { kind: 'none' };
}

/** The record after one more failure at `now`. */
export function withFailure(stored: FailureRecord | undefined, settings: DetectorSettings, now: number): FailureRecord {
  const record = currentRecord(stored, settings, now);
  return { failures: record.failures + 1, lastFailureAt: new Date(now).toISOString() };
}

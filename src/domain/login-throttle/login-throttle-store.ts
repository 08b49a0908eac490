import type { ThrottleRecord } from './login-throttle.ts';

export interface LoginThrottleStore {
  /**
   * Creates missing counters and returns them locked for the rest of the transaction
   * (SELECT … FOR UPDATE on PostgreSQL; SQLite serializes transactions), so nodes
   * sharing the database count every attempt.
   */
  lock(keys: string[]): Promise<ThrottleRecord[]>;
  get(keys: string[]): Promise<ThrottleRecord[]>;
  save(record: ThrottleRecord): Promise<void>;
  delete(key: string): Promise<void>;
  /** Forgets zeroed counters and those whose last failure is older than `before`, except hard locks (`failures >= keepAtLeast`). */
  prune(before: string, keepAtLeast: number): Promise<number>;
  /** How many attempts are being checked on each of `keys` (places not lapsed at `now`); keys without any are absent. */
  countInFlight(keys: string[], now: string): Promise<Map<string, number>>;
  /** Takes a place for attempt `attemptId` on each of `keys`, until it is released or `expiresAt`. */
  addInFlight(attemptId: string, keys: string[], expiresAt: string): Promise<void>;
  /** Gives up the places of an attempt that has been judged. */
  removeInFlight(attemptId: string): Promise<void>;
  /** Forgets places that lapsed before `now` (their node never reported back). */
  pruneInFlight(now: string): Promise<number>;
}

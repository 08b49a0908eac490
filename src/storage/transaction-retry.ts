import { setTimeout as sleep } from 'node:timers/promises';

/**
 * PostgreSQL's answers that mean "this transaction lost a race and was rolled back; run it
 * again and it may well pass": 40001 serialization_failure (SERIALIZABLE or REPEATABLE READ
 * saw a conflicting write; CockroachDB and YugabyteDB send it for any contended transaction)
 * and 40P01 deadlock_detected. Both are the server's definite word that nothing was
 * committed, even when they come back from COMMIT itself. A lost connection carries no
 * SQLSTATE: whether its COMMIT landed is unknown, so it is never retried.
 */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface TransactionRetryPolicy {
  /** Runs in all, the first included. */
  attempts: number;
  /** The ceiling of the first pause; it doubles on each retry... */
  baseDelayMs: number;
  /** ...up to this. */
  maxDelayMs: number;
}

/** Five runs, pausing at most 10, 20, 40 and 80 ms between them: a contended row sorts itself out in that time or is really hot. */
export const DEFAULT_TRANSACTION_RETRY: TransactionRetryPolicy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 250 };

/** The error's SQLSTATE, looked for on it and down its `cause` chain (a wrapper may carry the driver's error). */
export function sqlStateOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function isRetryableTransactionFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && RETRYABLE_SQLSTATES.has(state);
}

/**
 * The pause after the `failedAttempt`-th run failed (1 for the first): exponential with
 * "equal jitter", between half the ceiling and the ceiling, where the ceiling is
 * `baseDelayMs · 2^(failedAttempt-1)` capped at `maxDelayMs`. The random half spreads
 * transactions that collided so they don't collide again in step; the fixed half makes sure
 * the winner has time to commit.
 */
export function retryDelayMs(failedAttempt: number, policy: TransactionRetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random(), 0), 1);
}

export interface RetryHooks {
  /** Told before each pause (tests and logs); the error is the one that ended the run. */
  onRetry?: (failedAttempt: number, delayMs: number, error: unknown) => void;
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

/**
 * Runs `run` (one whole transaction: begin, the callback, commit) and runs it again from the
 * start when it fails with a retryable SQLSTATE, up to `policy.attempts` runs; the last
 * failure, or any other error, is thrown as it came.
 */
export async function withTransactionRetry<T>(run: () => Promise<T>, policy: TransactionRetryPolicy = DEFAULT_TRANSACTION_RETRY, hooks: RetryHooks = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryableTransactionFailure(error)) throw error;
      const delay = retryDelayMs(attempt, policy, hooks.random);
      hooks.onRetry?.(attempt, delay, error);
      await (hooks.sleep ?? sleep)(delay);
    }
  }
}

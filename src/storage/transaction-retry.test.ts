import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSACTION_RETRY, isRetryableTransactionFailure, retryDelayMs, withTransactionRetry, type TransactionRetryPolicy } from './transaction-retry.ts';

const failure = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });
const policy: TransactionRetryPolicy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 };

describe('the transaction retry', () => {
  it('retries serialization failures and deadlocks, found on the error or its cause, and nothing else', () => {
    expect(isRetryableTransactionFailure(failure('40001'))).toBe(true);
    expect(isRetryableTransactionFailure(failure('40P01'))).toBe(true);
    expect(isRetryableTransactionFailure(new Error('wrapped', { cause: failure('40001') }))).toBe(true);
    // A unique violation, a lost connection (no SQLSTATE, the COMMIT may have landed), SQLite's busy.
    expect(isRetryableTransactionFailure(failure('23505'))).toBe(false);
    expect(isRetryableTransactionFailure(Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined }))).toBe(false);
    expect(isRetryableTransactionFailure(failure('ECONNRESET'))).toBe(false);
    expect(isRetryableTransactionFailure(failure('SQLITE_BUSY'))).toBe(false);
  });

  it('pauses between half the ceiling and the ceiling, the ceiling doubling up to its cap', () => {
    const ceilings = [10, 20, 40, 50, 50, 50];
    ceilings.forEach((ceiling, index) => {
      const failedAttempt = index + 1;
      expect(retryDelayMs(failedAttempt, policy, () => 0)).toBe(ceiling / 2);
      expect(retryDelayMs(failedAttempt, policy, () => 0.999999)).toBeCloseTo(ceiling, 3);
      for (let sample = 0; sample < 200; sample++) {
        const delay = retryDelayMs(failedAttempt, policy);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    });
  });

  it('keeps the whole wait of the default policy under half a second', () => {
    let worst = 0;
    for (let failed = 1; failed < DEFAULT_TRANSACTION_RETRY.attempts; failed++) worst += retryDelayMs(failed, DEFAULT_TRANSACTION_RETRY, () => 1);
    expect(worst).toBeLessThan(500);
  });

  it('runs again until the run passes, pausing as told', async () => {
    const pauses: number[] = [];
    let runs = 0;
    const result = await withTransactionRetry(
      async () => {
        if (++runs < 3) throw failure('40001');
        return 'committed';
      },
      policy,
      { sleep: async (ms) => pauses.push(ms), random: () => 0 },
    );
    expect(result).toBe('committed');
    expect(runs).toBe(3);
    expect(pauses).toEqual([5, 10]);
  });

  it('gives up after the last attempt with the last failure, and never retries other errors', async () => {
    let runs = 0;
    const always = withTransactionRetry(
      async () => {
        runs++;
        throw failure('40P01');
      },
      policy,
      { sleep: async () => undefined },
    );
    await expect(always).rejects.toMatchObject({ code: '40P01' });
    expect(runs).toBe(5);

    runs = 0;
    const other = withTransactionRetry(
      async () => {
        runs++;
        throw failure('23505');
      },
      policy,
      { sleep: async () => undefined },
    );
    await expect(other).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });
});

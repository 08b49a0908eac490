import { describe, expect, it } from 'vitest';
import { lockOf, waitAfter, withFailure, type DetectorSettings, type FailureRecord } from './brute-force-detector.ts';

const MINUTE = 60_000;
const settings: DetectorSettings = { failureFactor: 3, waitIncrement: MINUTE, maxWait: 5 * MINUTE, failureResetTime: 60 * MINUTE, maxConsecutiveFailures: 20 };

function failTimes(count: number, start: number, gap = 0, initial?: FailureRecord): FailureRecord {
  let record = initial;
  for (let index = 0; index < count; index++) record = withFailure(record, settings, start + index * gap);
  return record!;
}

describe("Keycloak's brute-force detector", () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('lets the first failures through, then waits one increment per failure factor, capped', () => {
    expect(lockOf(failTimes(2, t0), settings, t0).kind).toBe('none');
    expect(lockOf(failTimes(3, t0), settings, t0)).toEqual({ kind: 'wait', until: t0 + MINUTE });
    expect(waitAfter(6, settings)).toBe(2 * MINUTE);
    expect(waitAfter(18, settings)).toBe(5 * MINUTE);
    expect(lockOf(failTimes(3, t0), settings, t0 + MINUTE).kind).toBe('none');
  });

  it('forgets failures after the reset time', () => {
    const record = failTimes(5, t0);
    expect(withFailure(record, settings, t0 + 61 * MINUTE).failures).toBe(1);
    expect(lockOf(record, settings, t0 + 61 * MINUTE).kind).toBe('none');
  });

  it('locks hard at the consecutive-failure cap, which time does not lift', () => {
    const record = failTimes(20, t0, 5 * MINUTE);
    expect(lockOf(record, settings, t0 + 1000 * MINUTE * 60).kind).toBe('hard');
    expect(lockOf(failTimes(19, t0, 5 * MINUTE), settings, t0 + 100 * MINUTE).kind).toBe('none');
  });
});

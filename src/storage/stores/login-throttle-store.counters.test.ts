import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { ThrottleRecord } from '../../domain/login-throttle/login-throttle.ts';
import { at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const accountKey = () => `account:${newId()}`;
const ipKey = () => `ip:${newId()}`;

/**
 * The failure counters themselves (the places in flight are in login-throttle-store.test.ts).
 * Counters are keyed by what they count, not by tenant: the isolation case is another key.
 */
describe.each(engines)('login throttle counters on %s', (engine) => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('locks counters in key order, creating the missing ones at zero and keeping the existing ones as they are', async () => {
    const [existing, missing] = [accountKey(), ipKey()].sort() as [string, string];
    await fixture.store.transaction((store) => store.loginThrottle.lock([existing]));
    await fixture.store.loginThrottle.save({ key: existing, failures: 4, lastFailureAt: at(3) });
    const locked = await fixture.store.transaction((store) => store.loginThrottle.lock([missing, existing, missing]));
    expect(locked).toEqual([
      { key: existing, failures: 4, lastFailureAt: at(3) },
      { key: missing, failures: 0, lastFailureAt: null },
    ]);
    expect(await fixture.store.transaction((store) => store.loginThrottle.lock([]))).toEqual([]);
  });

  it('gets only the counters that exist, without creating any', async () => {
    const [counted, unknown] = [accountKey(), accountKey()];
    await fixture.store.transaction((store) => store.loginThrottle.lock([counted]));
    expect(await fixture.store.loginThrottle.get([counted, unknown])).toEqual([{ key: counted, failures: 0, lastFailureAt: null }]);
    expect(await fixture.store.loginThrottle.get([unknown])).toEqual([]);
    expect(await fixture.store.loginThrottle.get([])).toEqual([]);
  });

  it("saves and deletes one counter without touching another key's", async () => {
    const [mine, another] = [accountKey(), accountKey()];
    await fixture.store.transaction((store) => store.loginThrottle.lock([mine, another]));
    await fixture.store.loginThrottle.save({ key: another, failures: 2, lastFailureAt: at(1) });
    await fixture.store.loginThrottle.save({ key: mine, failures: 7, lastFailureAt: at(2) });
    expect(await fixture.store.loginThrottle.get([another])).toEqual([{ key: another, failures: 2, lastFailureAt: at(1) }]);
    await fixture.store.loginThrottle.delete(mine);
    expect(await fixture.store.loginThrottle.get([mine, another])).toEqual([{ key: another, failures: 2, lastFailureAt: at(1) }]);
  });

  it('loses no failure when several transactions count on the same counters at once', async () => {
    const keys = [accountKey(), ipKey()];
    const attempts = 5;
    const countOneFailure = (minute: number) =>
      fixture.store.transaction(async (store) => {
        const counters = await store.loginThrottle.lock(keys);
        // Hold the lock long enough for the other transactions to be waiting on it.
        await pause(20);
        for (const counter of counters) await store.loginThrottle.save({ ...counter, failures: counter.failures + 1, lastFailureAt: at(minute) });
      });
    await Promise.all(Array.from({ length: attempts }, (_, index) => countOneFailure(index)));
    const counted = await fixture.store.loginThrottle.get(keys);
    expect(counted.map((counter: ThrottleRecord) => counter.failures)).toEqual([attempts, attempts]);
  });

  it("prunes zeroed and stale counters, keeping recent ones and an account's hard lock", async () => {
    const zeroed = accountKey();
    const stale = accountKey();
    const recent = accountKey();
    const hardLock = accountKey();
    const staleAddress = ipKey();
    await fixture.store.transaction((store) => store.loginThrottle.lock([zeroed, stale, recent, hardLock, staleAddress]));
    await fixture.store.loginThrottle.save({ key: stale, failures: 3, lastFailureAt: at(1) });
    await fixture.store.loginThrottle.save({ key: recent, failures: 3, lastFailureAt: at(20) });
    await fixture.store.loginThrottle.save({ key: hardLock, failures: 100, lastFailureAt: at(1) });
    // Hard locks are an account's: an address is forgotten however many failures it counted.
    await fixture.store.loginThrottle.save({ key: staleAddress, failures: 100, lastFailureAt: at(1) });

    expect(await fixture.store.loginThrottle.prune(at(10), 100)).toBeGreaterThanOrEqual(3);
    const kept = await fixture.store.loginThrottle.get([zeroed, stale, recent, hardLock, staleAddress]);
    expect(kept.map((counter) => counter.key).sort()).toEqual([recent, hardLock].sort());
  });
});

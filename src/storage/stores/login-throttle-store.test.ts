import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import { at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** Counters are keyed by what they count (an account's email hash, an address, a device), not by tenant. */
describe.each(engines)('login throttle store on %s', (engine) => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('counts the attempts in flight on each counter until they are removed or lapse', async () => {
    const throttle = fixture.store.loginThrottle;
    const [account, address, other] = [`account:${newId()}`, `ip:${newId()}`, `ip:${newId()}`];
    const [first, second] = [newId(), newId()];
    await throttle.addInFlight(first, [account, address], at(1));
    await throttle.addInFlight(second, [account], at(2));
    expect(await throttle.countInFlight([account, address, other], at(0))).toEqual(new Map([[account, 2], [address, 1]]));
    // A place lapses at its expiry: its node never came back.
    expect(await throttle.countInFlight([account, address], at(1))).toEqual(new Map([[account, 1]]));

    await throttle.removeInFlight(second);
    expect(await throttle.countInFlight([account, address], at(0))).toEqual(new Map([[account, 1], [address, 1]]));
    expect(await throttle.pruneInFlight(at(1))).toBeGreaterThanOrEqual(2);
    expect(await throttle.countInFlight([account, address], at(0))).toEqual(new Map());
  });

  it('locks counters, creating them at zero, and saves and deletes them', async () => {
    const throttle = fixture.store.loginThrottle;
    const key = `account:${newId()}`;
    expect(await fixture.store.transaction((store) => store.loginThrottle.lock([key]))).toEqual([{ key, failures: 0, lastFailureAt: null }]);
    await throttle.save({ key, failures: 3, lastFailureAt: at(5) });
    expect(await throttle.get([key])).toEqual([{ key, failures: 3, lastFailureAt: at(5) }]);
    await throttle.delete(key);
    expect(await throttle.get([key])).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../domain/ids.ts';
import type { Store } from '../domain/store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../test/support/harness.ts';
import { migrate, openDatabase, type OpenedDatabase } from './open-database.ts';
import { createSqlStore } from './sql-store.ts';

/** A latch two transactions meet at: each waits until both have arrived. */
function meeting(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

/**
 * The one place a transaction that lost a race runs again: two transactions both read a
 * counter and then both write it plus one. Run SERIALIZABLE on PostgreSQL, the second writer
 * gets SQLSTATE 40001 from the server; the store runs its callback again, which now reads the
 * first one's value. The counter ends at exactly two: neither increment lost nor doubled.
 */
describe.each(engines)('store transactions on %s', (engine) => {
  let database: TestDatabase;
  let opened: OpenedDatabase;
  let retries: { attempt: number; code: unknown }[];
  let store: Store;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    await migrate(opened.db);
    store = createSqlStore(opened.db, opened.engine, {
      retryHooks: { onRetry: (attempt, _delay, error) => retries.push({ attempt, code: (error as { code?: unknown }).code }) },
    });
  });
  afterAll(async () => {
    await opened.db.destroy();
    await database.drop();
  });

  /**
   * Two read-then-write increments of one counter, each in its own transaction; returns the
   * counter's end value and how many times each callback ran. On PostgreSQL they run at once
   * and both read before either writes. SQLite has one connection, so the second transaction
   * can only begin after the first has ended: they run one after the other.
   */
  async function raceTwoIncrements(options?: { isolation: 'serializable' }): Promise<{ failures: number; runs: number[] }> {
    retries = [];
    const key = `account:${newId()}`;
    await store.transaction((tx) => tx.loginThrottle.lock([key]));
    const concurrent = engine === 'postgres';
    const bothRead = meeting(concurrent ? 2 : 1);
    const increment = async () => {
      let runs = 0;
      await store.transaction(async (tx) => {
        runs++;
        const [record] = await tx.loginThrottle.get([key]);
        // Only the first run meets the other: a rerun must not wait for a transaction that has committed.
        if (runs === 1) await bothRead();
        await tx.loginThrottle.save({ key, failures: record!.failures + 1, lastFailureAt: null });
      }, options);
      return runs;
    };
    const runs = concurrent ? await Promise.all([increment(), increment()]) : [await increment(), await increment()];
    const [record] = await store.loginThrottle.get([key]);
    return { failures: record!.failures, runs };
  }

  it.runIf(engine === 'postgres')('runs a serializable transaction again after a serialization failure, and its change lands once', async () => {
    const { failures, runs } = await raceTwoIncrements({ isolation: 'serializable' });
    expect(retries).toEqual([{ attempt: 1, code: '40001' }]);
    expect(runs.toSorted()).toEqual([1, 2]);
    expect(failures).toBe(2);
  });

  it.runIf(engine === 'postgres')('loses an increment at the default READ COMMITTED, which is why the option exists', async () => {
    const { failures, runs } = await raceTwoIncrements();
    expect(retries).toEqual([]);
    expect(runs).toEqual([1, 1]);
    expect(failures).toBe(1);
  });

  /**
   * Write skew: each transaction reads both counters and raises a different one to their sum
   * plus one. No row is written by both, so nothing blocks; SERIALIZABLE sees the cycle and
   * fails one of them with 40001, at its write or at its COMMIT, and either way nothing of it
   * was committed. Serially the counters end at 1 and 2; side by side at READ COMMITTED, 1 and 1.
   */
  async function raceWriteSkew(options?: { isolation: 'serializable' }): Promise<number[]> {
    retries = [];
    const keys = [`account:${newId()}`, `account:${newId()}`];
    await store.transaction((tx) => tx.loginThrottle.lock(keys));
    const bothRead = meeting(2);
    const raise = async (key: string) => {
      let runs = 0;
      await store.transaction(async (tx) => {
        runs++;
        const records = await tx.loginThrottle.get(keys);
        if (runs === 1) await bothRead();
        const sum = records.reduce((total, record) => total + record.failures, 0);
        await tx.loginThrottle.save({ key, failures: sum + 1, lastFailureAt: null });
      }, options);
    };
    await Promise.all(keys.map(raise));
    return (await store.loginThrottle.get(keys)).map((record) => record.failures).toSorted();
  }

  it.runIf(engine === 'postgres')('retries the loser of a write skew, whether PostgreSQL fails its write or its COMMIT', async () => {
    expect(await raceWriteSkew({ isolation: 'serializable' })).toEqual([1, 2]);
    expect(retries).toEqual([{ attempt: 1, code: '40001' }]);
    expect(await raceWriteSkew()).toEqual([1, 1]);
    expect(retries).toEqual([]);
  });

  it('does not run a callback again for any other error', async () => {
    retries = [];
    let runs = 0;
    const failing = store.transaction(async () => {
      runs++;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    });
    await expect(failing).rejects.toThrow('duplicate key');
    expect(runs).toBe(1);
  });

  it.runIf(engine === 'sqlite')('leaves SQLite transactions as they are: one run, even for an error that looks like a serialization failure', async () => {
    retries = [];
    let runs = 0;
    const failing = store.transaction(async () => {
      runs++;
      throw Object.assign(new Error('not from SQLite'), { code: '40001' });
    });
    await expect(failing).rejects.toThrow('not from SQLite');
    expect(runs).toBe(1);
    expect(retries).toEqual([]);
    // The isolation option is accepted and changes nothing: SQLite transactions are serializable already.
    const { failures, runs: counted } = await raceTwoIncrements({ isolation: 'serializable' });
    expect(counted).toEqual([1, 1]);
    expect(failures).toBe(2);
  });
});

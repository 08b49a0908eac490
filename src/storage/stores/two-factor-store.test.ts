import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { RecoveryCodeRecord, TwoFactorRecord } from '../../domain/two-factor/two-factor.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aPending = (userId: string, changes: Partial<TwoFactorRecord> = {}): TwoFactorRecord => ({
  userId,
  status: 'pending',
  secretCiphertext: `sealed-${newId()}`,
  secretKeyId: 'key-1',
  createdAt: at(),
  enabledAt: null,
  lastUsedStep: null,
  ...changes,
});

const recoveryCodes = (userId: string, hashes: string[]): RecoveryCodeRecord[] =>
  hashes.map((codeHash) => ({ id: newId(), userId, codeHash, createdAt: at(), usedAt: null }));

/** Enrolments belong to users: the isolation case is a user of another tenant. */
describe.each(engines)('two-factor store on %s', (engine) => {
  let fixture: StoreFixture;
  let bob: StoredUser;
  const newUser = async () => addUser(fixture.store, (await addTenant(fixture.store)).id);
  /** A user whose enrolment is confirmed, the last accepted time step being `step`. */
  const enrolled = async (step = 100, changes: Partial<TwoFactorRecord> = {}) => {
    const user = await newUser();
    await fixture.store.twoFactor.savePending(aPending(user.id, changes));
    await fixture.store.twoFactor.enable(user.id, at(1), step);
    return user;
  };
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    bob = await enrolled(100);
    await fixture.store.twoFactor.replaceRecoveryCodes(bob.id, recoveryCodes(bob.id, ['shared-hash', 'bob-hash']));
  });
  afterAll(() => fixture.close());

  it('has no enrolment for a user who never enrolled', async () => {
    expect(await fixture.store.twoFactor.get((await newUser()).id)).toBeUndefined();
  });

  it('keeps a pending enrolment, and replaces it with a new one', async () => {
    const user = await newUser();
    const first = aPending(user.id);
    expect(await fixture.store.twoFactor.savePending(first)).toBe(true);
    expect(await fixture.store.twoFactor.get(user.id)).toEqual(first);
    const second = aPending(user.id, { createdAt: at(2) });
    expect(await fixture.store.twoFactor.savePending(second)).toBe(true);
    expect(await fixture.store.twoFactor.get(user.id)).toEqual(second);
  });

  it('turns a pending enrolment on once, with the step of the code that confirmed it', async () => {
    const user = await newUser();
    const pending = aPending(user.id);
    await fixture.store.twoFactor.savePending(pending);
    expect(await fixture.store.twoFactor.enable(user.id, at(3), 42)).toBe(true);
    expect(await fixture.store.twoFactor.get(user.id)).toEqual({ ...pending, status: 'enabled', enabledAt: at(3), lastUsedStep: 42 });
    expect(await fixture.store.twoFactor.enable(user.id, at(4), 43)).toBe(false);
    expect(await fixture.store.twoFactor.enable((await newUser()).id, at(4), 43)).toBe(false);
  });

  it('refuses a new pending enrolment over an enabled one, and writes nothing', async () => {
    const user = await enrolled();
    const before = await fixture.store.twoFactor.get(user.id);
    expect(await fixture.store.twoFactor.savePending(aPending(user.id))).toBe(false);
    expect(await fixture.store.twoFactor.get(user.id)).toEqual(before);
  });

  it('accepts only a later time step than the last one, and none on a pending enrolment', async () => {
    const user = await enrolled(100);
    expect(await fixture.store.twoFactor.acceptStep(user.id, 100)).toBe(false);
    expect(await fixture.store.twoFactor.acceptStep(user.id, 99)).toBe(false);
    expect(await fixture.store.twoFactor.acceptStep(user.id, 101)).toBe(true);
    expect((await fixture.store.twoFactor.get(user.id))?.lastUsedStep).toBe(101);

    const pending = await newUser();
    await fixture.store.twoFactor.savePending(aPending(pending.id));
    expect(await fixture.store.twoFactor.acceptStep(pending.id, 1)).toBe(false);
    expect(await fixture.store.twoFactor.acceptStep((await newUser()).id, 1)).toBe(false);
  });

  it('lets exactly one of several nodes accepting the same code at once succeed', async () => {
    const user = await enrolled(100);
    const results = await Promise.all(Array.from({ length: 8 }, () => fixture.store.twoFactor.acceptStep(user.id, 101)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('removes the enrolment and the recovery codes of one user, once', async () => {
    const user = await enrolled();
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['a', 'b']));
    expect(await fixture.store.twoFactor.delete(user.id)).toBe(true);
    expect(await fixture.store.twoFactor.get(user.id)).toBeUndefined();
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(0);
    expect(await fixture.store.twoFactor.delete(user.id)).toBe(false);
  });

  it('counts the secrets each key has sealed', async () => {
    const [oldKey, newKey] = [`key-${newId()}`, `key-${newId()}`];
    await enrolled(1, { secretKeyId: oldKey });
    await enrolled(1, { secretKeyId: newKey });
    const pending = await newUser();
    await fixture.store.twoFactor.savePending(aPending(pending.id, { secretKeyId: newKey }));
    const counts = await fixture.store.twoFactor.countByKey();
    expect([counts.get(oldKey), counts.get(newKey)]).toEqual([1, 2]);
  });

  it('replaces the recovery codes: the old ones no longer work', async () => {
    const user = await enrolled();
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['old-1', 'old-2', 'old-3']));
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(3);
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['new-1', 'new-2']));
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(2);
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'old-1', at(5))).toBe(false);
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, []);
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(0);
  });

  it('spends a recovery code once', async () => {
    const user = await enrolled();
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['one', 'two']));
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'one', at(5))).toBe(true);
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'one', at(6))).toBe(false);
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'unknown', at(6))).toBe(false);
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(1);
  });

  it('lets exactly one of several nodes spending the same recovery code at once succeed', async () => {
    const user = await enrolled();
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['contested', 'spare']));
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => fixture.store.twoFactor.consumeRecoveryCode(user.id, 'contested', at(index))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(user.id)).toBe(1);
  });

  it("never spends, replaces, steps or removes another user's enrolment or codes", async () => {
    const bobBefore = await fixture.store.twoFactor.get(bob.id);
    const user = await enrolled(100);
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, recoveryCodes(user.id, ['shared-hash']));
    // Same hash, wrong user: Bob's code is not Alice's to spend.
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'bob-hash', at(5))).toBe(false);
    expect(await fixture.store.twoFactor.consumeRecoveryCode(user.id, 'shared-hash', at(5))).toBe(true);
    await fixture.store.twoFactor.acceptStep(user.id, 200);
    await fixture.store.twoFactor.replaceRecoveryCodes(user.id, []);
    await fixture.store.twoFactor.delete(user.id);
    expect(await fixture.store.twoFactor.get(bob.id)).toEqual(bobBefore);
    expect(await fixture.store.twoFactor.countUnusedRecoveryCodes(bob.id)).toBe(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { TwoFactorRecord } from '../../domain/two-factor/two-factor.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aPending = (userId: string): TwoFactorRecord => ({
  userId,
  status: 'pending',
  secretCiphertext: `sealed-${newId()}`,
  secretKeyId: 'key-1',
  createdAt: at(),
  enabledAt: null,
  lastUsedStep: null,
});

/** The obligation to enrol again that an admin reset leaves, read with the enrolment in one statement. */
describe.each(engines)('two-factor store, re-enrolment, on %s', (engine) => {
  let fixture: StoreFixture;
  const newUser = async () => addUser(fixture.store, (await addTenant(fixture.store)).id);
  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('reads no enrolment and no obligation for an unknown user, or one who never enrolled', async () => {
    expect(await fixture.store.twoFactor.getState(newId())).toEqual({ record: undefined, reenrolmentRequiredAt: null });
    expect(await fixture.store.twoFactor.getState((await newUser()).id)).toEqual({ record: undefined, reenrolmentRequiredAt: null });
  });

  it('reads the enrolment as get does, with the obligation beside it', async () => {
    const user = await newUser();
    await fixture.store.twoFactor.savePending(aPending(user.id));
    await fixture.store.twoFactor.enable(user.id, at(1), 7);
    await fixture.store.twoFactor.setReenrolmentRequired(user.id, at(2));
    expect(await fixture.store.twoFactor.getState(user.id)).toEqual({ record: await fixture.store.twoFactor.get(user.id), reenrolmentRequiredAt: at(2) });
  });

  it("sets and clears one user's obligation without touching another user's", async () => {
    const [user, another] = [await newUser(), await newUser()];
    await fixture.store.twoFactor.setReenrolmentRequired(another.id, at(1));
    await fixture.store.twoFactor.setReenrolmentRequired(user.id, at(3));
    expect((await fixture.store.twoFactor.getState(user.id)).reenrolmentRequiredAt).toBe(at(3));
    await fixture.store.twoFactor.setReenrolmentRequired(user.id, null);
    expect((await fixture.store.twoFactor.getState(user.id)).reenrolmentRequiredAt).toBeNull();
    expect((await fixture.store.twoFactor.getState(another.id)).reenrolmentRequiredAt).toBe(at(1));
  });
});

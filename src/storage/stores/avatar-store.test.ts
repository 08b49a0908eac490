import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** Avatars belong to users: the "other tenant" case is a user of another tenant. */
describe.each(engines)('avatar store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('keeps the exact bytes and type, and replaces them on a second set', async () => {
    await fixture.store.avatars.set({ userId: alice.id, contentType: 'image/png', data: bytes, updatedAt: at(1) });
    const stored = await fixture.store.avatars.get(alice.id);
    expect(stored?.data.equals(bytes)).toBe(true);
    expect(stored).toMatchObject({ contentType: 'image/png', updatedAt: at(1) });
    await fixture.store.avatars.set({ userId: alice.id, contentType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff]), updatedAt: at(2) });
    expect(await fixture.store.avatars.get(alice.id)).toMatchObject({ contentType: 'image/jpeg', updatedAt: at(2) });
    expect(await fixture.store.avatars.updatedAt(alice.id)).toBe(at(2));
  });

  it("deletes one user's avatar and not another's", async () => {
    await fixture.store.avatars.set({ userId: bob.id, contentType: 'image/png', data: bytes, updatedAt: at(1) });
    await fixture.store.avatars.delete(alice.id);
    expect(await fixture.store.avatars.get(alice.id)).toBeUndefined();
    expect(await fixture.store.avatars.get(bob.id)).toBeDefined();
    expect(await fixture.store.avatars.updatedAt(alice.id)).toBeNull();
    expect(await fixture.store.avatars.updatedAt(bob.id)).toBe(at(1));
  });
});

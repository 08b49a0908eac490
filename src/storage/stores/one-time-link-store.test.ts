import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { OneTimeLink } from '../../domain/users/one-time-link.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** Links belong to users: the "other tenant" case is a user of another tenant. */
describe.each(engines)('one-time link store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  const aLink = (userId: string, changes: Partial<OneTimeLink> = {}): OneTimeLink => ({
    id: newId(),
    userId,
    purpose: 'password_reset',
    tokenHash: newId(),
    createdAt: at(),
    expiresAt: at(60),
    usedAt: null,
    createdBy: null,
    ...changes,
  });

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('finds a link by the hash of its token', async () => {
    const link = aLink(alice.id, { createdBy: bob.id });
    await fixture.store.links.create(link);
    expect(await fixture.store.links.getByHash(link.tokenHash)).toEqual(link);
  });

  it('is consumed exactly once, even by concurrent redemptions', async () => {
    const link = aLink(alice.id);
    await fixture.store.links.create(link);
    const results = await Promise.all(Array.from({ length: 5 }, () => fixture.store.links.consume(link.id, at(1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await fixture.store.links.getByHash(link.tokenHash))?.usedAt).toBe(at(1));
  });

  it("retires one user's unused links of one purpose, leaving other users and purposes alone", async () => {
    const reset = aLink(alice.id);
    const invitation = aLink(alice.id, { purpose: 'invitation' });
    const bobs = aLink(bob.id);
    for (const link of [reset, invitation, bobs]) await fixture.store.links.create(link);
    await fixture.store.links.retireUnused(alice.id, 'password_reset', at(2));
    expect((await fixture.store.links.getByHash(reset.tokenHash))?.usedAt).toBe(at(2));
    expect((await fixture.store.links.getByHash(invitation.tokenHash))?.usedAt).toBeNull();
    expect((await fixture.store.links.getByHash(bobs.tokenHash))?.usedAt).toBeNull();
  });

  it('gives an unused link a new token hash, but never a used or expired one', async () => {
    const fresh = aLink(alice.id);
    const used = aLink(alice.id, { usedAt: at(1) });
    const expired = aLink(alice.id, { expiresAt: at(5) });
    for (const link of [fresh, used, expired]) await fixture.store.links.create(link);
    const [rekeyedHash, usedHash, expiredHash] = [newId(), newId(), newId()];
    expect(await fixture.store.links.rekey(fresh.id, rekeyedHash, at(10))).toBe(true);
    expect(await fixture.store.links.rekey(used.id, usedHash, at(10))).toBe(false);
    expect(await fixture.store.links.rekey(expired.id, expiredHash, at(10))).toBe(false);
    expect(await fixture.store.links.getByHash(fresh.tokenHash)).toBeUndefined();
    expect((await fixture.store.links.getByHash(rekeyedHash))?.id).toBe(fresh.id);
    expect(await fixture.store.links.getByHash(usedHash)).toBeUndefined();
    expect((await fixture.store.links.getByHash(expired.tokenHash))?.id).toBe(expired.id);
  });
});

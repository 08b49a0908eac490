import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { ApiToken } from '../../domain/tokens/api-token.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

let names = 0;
const aToken = (userId: string, changes: Partial<ApiToken> = {}): ApiToken => ({
  id: newId(),
  userId,
  name: `ci ${++names}`,
  tokenHash: newId(),
  prefix: 'sph_abcdef',
  createdAt: at(),
  expiresAt: at(60 * 24),
  lastUsedAt: null,
  revokedAt: null,
  ...changes,
});

/** Tokens belong to users: the "other tenant" case is a user of another tenant. */
describe.each(engines)('API token store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('finds a token by hash and by id', async () => {
    const token = aToken(alice.id, { expiresAt: null });
    await fixture.store.tokens.create(token);
    expect(await fixture.store.tokens.getByHash(token.tokenHash)).toEqual(token);
    expect(await fixture.store.tokens.getById(token.id)).toEqual(token);
    expect(await fixture.store.tokens.getByHash('nope')).toBeUndefined();
  });

  it("lists one user's tokens newest first, and never another tenant's user's", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const first = aToken(user.id);
    const second = aToken(user.id);
    for (const token of [first, second, aToken(bob.id)]) await fixture.store.tokens.create(token);
    expect((await fixture.store.tokens.listForUser(user.id)).map((token) => token.id)).toEqual([second.id, first.id]);
  });

  it('revokes once: a second revocation keeps the first time', async () => {
    const token = aToken(alice.id);
    const other = aToken(alice.id);
    await fixture.store.tokens.create(token);
    await fixture.store.tokens.create(other);
    await fixture.store.tokens.revoke(token.id, at(1));
    await fixture.store.tokens.revoke(token.id, at(2));
    expect((await fixture.store.tokens.getById(token.id))?.revokedAt).toBe(at(1));
    expect((await fixture.store.tokens.getById(other.id))?.revokedAt).toBeNull();
  });

  it("revokes all of one user's tokens in force at once, but the one kept, and never another user's", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const [first, second, kept] = [aToken(user.id), aToken(user.id, { expiresAt: null }), aToken(user.id)];
    const expired = aToken(user.id, { expiresAt: at(1) });
    const revoked = aToken(user.id, { revokedAt: at(1) });
    const others = aToken(bob.id);
    for (const token of [first, second, kept, expired, revoked, others]) await fixture.store.tokens.create(token);
    expect(await fixture.store.tokens.revokeAllForUser(user.id, at(5), kept.id)).toBe(2);
    const after = new Map((await fixture.store.tokens.listForUser(user.id)).map((token) => [token.id, token.revokedAt]));
    expect(after).toEqual(new Map([[first.id, at(5)], [second.id, at(5)], [kept.id, null], [expired.id, null], [revoked.id, at(1)]]));
    expect((await fixture.store.tokens.getById(others.id))?.revokedAt).toBeNull();
    expect(await fixture.store.tokens.revokeAllForUser(user.id, at(6))).toBe(1);
  });

  it("answers name_taken for a name the user has on a token not revoked, in any case, and writes nothing", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const kept = aToken(user.id, { name: 'Deploy' });
    expect(await fixture.store.tokens.create(kept)).toBe('created');
    const twin = aToken(user.id, { name: 'deploy' });
    expect(await fixture.store.tokens.create(twin)).toBe('name_taken');
    expect(await fixture.store.tokens.getById(twin.id)).toBeUndefined();
    expect((await fixture.store.tokens.findActiveByName(user.id, 'DEPLOY'))?.id).toBe(kept.id);
    expect(await fixture.store.tokens.create(aToken(bob.id, { name: 'deploy' }))).toBe('created');
    await fixture.store.tokens.revoke(kept.id, at(1));
    expect(await fixture.store.tokens.findActiveByName(user.id, 'deploy')).toBeUndefined();
    expect(await fixture.store.tokens.create(twin)).toBe('created');
    expect(await fixture.store.tokens.create(aToken(user.id, { name: 'Deploy', revokedAt: at(2) }))).toBe('created');
  });

  it('records when a token was last used', async () => {
    const token = aToken(alice.id);
    await fixture.store.tokens.create(token);
    await fixture.store.tokens.touch(token.id, at(7));
    expect((await fixture.store.tokens.getById(token.id))?.lastUsedAt).toBe(at(7));
  });

  it('refuses two tokens with the same hash', async () => {
    const token = aToken(alice.id);
    await fixture.store.tokens.create(token);
    await expect(fixture.store.tokens.create(aToken(bob.id, { tokenHash: token.tokenHash }))).rejects.toThrow();
  });

  it("goes with its user when the user is deleted", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const token = aToken(user.id);
    await fixture.store.tokens.create(token);
    await fixture.store.users.delete(user.id);
    expect(await fixture.store.tokens.getById(token.id)).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { LoginChallenge } from '../../domain/sessions/login-challenge.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aChallenge = (userId: string, changes: Partial<LoginChallenge> = {}): LoginChallenge => ({
  id: newId(),
  userId,
  tokenHash: newId(),
  createdAt: at(),
  expiresAt: at(5),
  consumedAt: null,
  failedAttempts: 0,
  ...changes,
});

/** Challenges belong to users: the isolation case is a challenge of a user in another tenant. */
describe.each(engines)('login challenge store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('finds a challenge by the hash of its token, unspent and without failures', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    expect(await fixture.store.loginChallenges.getByTokenHash(challenge.tokenHash)).toEqual(challenge);
    expect(await fixture.store.loginChallenges.getByTokenHash('unknown')).toBeUndefined();
  });

  it('refuses two challenges with the same token hash', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    await expect(fixture.store.loginChallenges.create(aChallenge(bob.id, { tokenHash: challenge.tokenHash }))).rejects.toThrow();
  });

  it('spends a challenge once: a second consume is refused and keeps the first time', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    expect(await fixture.store.loginChallenges.consume(challenge.id, at(1))).toBe(true);
    expect(await fixture.store.loginChallenges.consume(challenge.id, at(2))).toBe(false);
    expect((await fixture.store.loginChallenges.getByTokenHash(challenge.tokenHash))?.consumedAt).toBe(at(1));
    expect(await fixture.store.loginChallenges.consume(newId(), at(1))).toBe(false);
  });

  it('lets exactly one of several concurrent consumes spend the challenge', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => fixture.store.loginChallenges.consume(challenge.id, at(index + 1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await fixture.store.loginChallenges.getByTokenHash(challenge.tokenHash))?.consumedAt).toBe(at(winner + 1));
  });

  it('counts wrong codes one by one, returning the new count', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    expect(await fixture.store.loginChallenges.recordFailure(challenge.id)).toBe(1);
    expect(await fixture.store.loginChallenges.recordFailure(challenge.id)).toBe(2);
    expect((await fixture.store.loginChallenges.getByTokenHash(challenge.tokenHash))?.failedAttempts).toBe(2);
  });

  it('loses no wrong code when several are counted at once', async () => {
    const challenge = aChallenge(alice.id);
    await fixture.store.loginChallenges.create(challenge);
    const counts = await Promise.all(Array.from({ length: 6 }, () => fixture.store.loginChallenges.recordFailure(challenge.id)));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await fixture.store.loginChallenges.getByTokenHash(challenge.tokenHash))?.failedAttempts).toBe(6);
  });

  it("spends and counts one user's challenge without touching another user's", async () => {
    const mine = aChallenge(alice.id);
    const theirs = aChallenge(bob.id);
    await fixture.store.loginChallenges.create(mine);
    await fixture.store.loginChallenges.create(theirs);
    await fixture.store.loginChallenges.recordFailure(mine.id);
    await fixture.store.loginChallenges.consume(mine.id, at(1));
    expect(await fixture.store.loginChallenges.getByTokenHash(theirs.tokenHash)).toEqual(theirs);
  });

  it('deletes the challenges that expired before a time, and only those', async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const expired = aChallenge(user.id, { expiresAt: at(-10) });
    const expiringNow = aChallenge(user.id, { expiresAt: at(-1) });
    const live = aChallenge(user.id, { expiresAt: at(100) });
    for (const challenge of [expired, expiringNow, live]) await fixture.store.loginChallenges.create(challenge);
    expect(await fixture.store.loginChallenges.deleteExpired(at(-1))).toBeGreaterThanOrEqual(1);
    expect(await fixture.store.loginChallenges.getByTokenHash(expired.tokenHash)).toBeUndefined();
    expect(await fixture.store.loginChallenges.getByTokenHash(expiringNow.tokenHash)).toEqual(expiringNow);
    expect(await fixture.store.loginChallenges.getByTokenHash(live.tokenHash)).toEqual(live);
  });
});

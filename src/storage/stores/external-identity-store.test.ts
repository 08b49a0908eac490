import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalIdentity } from '../../domain/sso/external-identity.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const ISSUER = 'https://idp.example.test';
let sequence = 0;
const anIdentity = (userId: string, changes: Partial<ExternalIdentity> = {}): ExternalIdentity => ({
  issuer: ISSUER,
  subject: `subject-${++sequence}`,
  userId,
  createdAt: at(sequence),
  lastLoginAt: null,
  ...changes,
});

/** Identities belong to users, not tenants: the "other tenant" case is a user of another tenant. */
describe.each(engines)('external identity store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('finds a link by issuer and subject', async () => {
    const identity = anIdentity(alice.id);
    await fixture.store.externalIdentities.create(identity);
    expect(await fixture.store.externalIdentities.get(ISSUER, identity.subject)).toEqual(identity);
    expect(await fixture.store.externalIdentities.get(ISSUER, 'unknown')).toBeUndefined();
  });

  it('tells the same subject at another issuer apart', async () => {
    const identity = anIdentity(alice.id);
    await fixture.store.externalIdentities.create(identity);
    expect(await fixture.store.externalIdentities.get('https://other.example.test', identity.subject)).toBeUndefined();
    await fixture.store.externalIdentities.create({ ...identity, issuer: 'https://other.example.test', userId: bob.id });
    expect((await fixture.store.externalIdentities.get('https://other.example.test', identity.subject))?.userId).toBe(bob.id);
    expect((await fixture.store.externalIdentities.get(ISSUER, identity.subject))?.userId).toBe(alice.id);
  });

  it('refuses a second link of the same issuer and subject, even to another user', async () => {
    const identity = anIdentity(alice.id);
    await fixture.store.externalIdentities.create(identity);
    await expect(fixture.store.externalIdentities.create({ ...identity, userId: bob.id })).rejects.toThrow();
  });

  it("lists one user's links, oldest first, never another tenant's user's", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const first = anIdentity(user.id);
    const second = anIdentity(user.id, { issuer: 'https://second.example.test' });
    await fixture.store.externalIdentities.create(second);
    await fixture.store.externalIdentities.create(first);
    await fixture.store.externalIdentities.create(anIdentity(bob.id));
    expect(await fixture.store.externalIdentities.listForUser(user.id)).toEqual([first, second]);
  });

  it('records the last sign-in', async () => {
    const identity = anIdentity(alice.id);
    await fixture.store.externalIdentities.create(identity);
    await fixture.store.externalIdentities.recordLogin(ISSUER, identity.subject, at(99));
    expect((await fixture.store.externalIdentities.get(ISSUER, identity.subject))?.lastLoginAt).toBe(at(99));
  });

  it("removes a user's links with the user", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const identity = anIdentity(user.id);
    await fixture.store.externalIdentities.create(identity);
    await fixture.store.users.delete(user.id);
    expect(await fixture.store.externalIdentities.get(ISSUER, identity.subject)).toBeUndefined();
    expect(await fixture.store.externalIdentities.listForUser(user.id)).toEqual([]);
  });
});

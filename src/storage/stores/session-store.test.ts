import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { Session } from '../../domain/sessions/session.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aSession = (userId: string, changes: Partial<Session> = {}): Session => ({
  id: newId(),
  userId,
  tokenHash: newId(),
  csrfHash: newId(),
  createdAt: at(),
  lastSeenAt: at(),
  expiresAt: at(60),
  ip: '127.0.0.1',
  userAgent: 'test',
  endedAt: null,
  endReason: null,
  method: 'password',
  ...changes,
});

/** Sessions belong to users, not tenants: the "other tenant" case is a user of another tenant. */
describe.each(engines)('session store on %s', (engine) => {
  let fixture: StoreFixture;
  let alice: StoredUser;
  let bob: StoredUser;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    alice = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    bob = await addUser(fixture.store, (await addTenant(fixture.store)).id);
  });
  afterAll(() => fixture.close());

  it('finds a session by the hash of its token', async () => {
    const session = aSession(alice.id);
    await fixture.store.sessions.create(session);
    expect(await fixture.store.sessions.getByTokenHash(session.tokenHash)).toEqual(session);
    expect(await fixture.store.sessions.getByTokenHash('unknown')).toBeUndefined();
  });

  it("finds a session by id only for its own user, never another tenant's user", async () => {
    const session = aSession(alice.id);
    await fixture.store.sessions.create(session);
    expect(await fixture.store.sessions.getById(alice.id, session.id)).toEqual(session);
    expect(await fixture.store.sessions.getById(bob.id, session.id)).toBeUndefined();
  });

  it('lists the active sessions of one user, newest first, without ended or expired ones', async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const older = aSession(user.id, { createdAt: at(1) });
    const newer = aSession(user.id, { createdAt: at(2) });
    const ended = aSession(user.id);
    const expired = aSession(user.id, { expiresAt: at(5) });
    for (const session of [older, newer, ended, expired, aSession(bob.id)]) await fixture.store.sessions.create(session);
    await fixture.store.sessions.end(ended.id, at(3), 'logout');
    expect((await fixture.store.sessions.listActive(user.id, at(10))).map((session) => session.id)).toEqual([newer.id, older.id]);
  });

  it('keeps how the session was opened', async () => {
    const session = aSession(alice.id, { method: 'sso' });
    await fixture.store.sessions.create(session);
    expect((await fixture.store.sessions.getByTokenHash(session.tokenHash))?.method).toBe('sso');
  });

  it('records when a session was last seen', async () => {
    const session = aSession(alice.id);
    await fixture.store.sessions.create(session);
    await fixture.store.sessions.touch(session.id, at(30));
    expect((await fixture.store.sessions.getByTokenHash(session.tokenHash))?.lastSeenAt).toBe(at(30));
  });

  it('ends a session once: a second end keeps the first time and reason', async () => {
    const session = aSession(alice.id);
    await fixture.store.sessions.create(session);
    await fixture.store.sessions.end(session.id, at(1), 'logout');
    await fixture.store.sessions.end(session.id, at(2), 'expired');
    expect(await fixture.store.sessions.getByTokenHash(session.tokenHash)).toMatchObject({ endedAt: at(1), endReason: 'logout' });
  });

  it("ends every session of one user but the one kept, and none of another user's", async () => {
    const user = await addUser(fixture.store, (await addTenant(fixture.store)).id);
    const kept = aSession(user.id);
    const others = [aSession(user.id), aSession(user.id)];
    const bystander = aSession(bob.id);
    for (const session of [kept, ...others, bystander]) await fixture.store.sessions.create(session);
    expect(await fixture.store.sessions.endAllForUser(user.id, at(4), 'password changed', kept.id)).toBe(2);
    expect((await fixture.store.sessions.listActive(user.id, at(5))).map((session) => session.id)).toEqual([kept.id]);
    expect((await fixture.store.sessions.getByTokenHash(bystander.tokenHash))?.endedAt).toBeNull();
    expect(await fixture.store.sessions.endAllForUser(user.id, at(6), 'suspended')).toBe(1);
  });

  it('refuses two sessions with the same token hash', async () => {
    const session = aSession(alice.id);
    await fixture.store.sessions.create(session);
    await expect(fixture.store.sessions.create(aSession(bob.id, { tokenHash: session.tokenHash }))).rejects.toThrow();
  });
});

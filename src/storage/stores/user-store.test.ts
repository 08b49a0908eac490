import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import { addBuiltInRoles, addMember, addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

describe.each(engines)('user store on %s', (engine) => {
  let fixture: StoreFixture;
  let acme: Tenant;
  let globex: Tenant;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    await addBuiltInRoles(fixture.store);
    acme = await addTenant(fixture.store, 'acme');
    globex = await addTenant(fixture.store, 'globex');
  });
  afterAll(() => fixture.close());

  it('keeps every field of a user', async () => {
    const user = await addUser(fixture.store, acme.id, { mustChangePassword: true, passwordExpiresAt: at(60), lastLoginAt: at(1), lastLoginIp: '10.0.0.1', lastLoginUserAgent: 'curl' });
    expect(await fixture.store.users.getById(user.id)).toEqual(user);
  });

  it('finds the owner of an API token or a session by its hash, and nobody for a hash of neither', async () => {
    const alice = await addUser(fixture.store, acme.id);
    const bob = await addUser(fixture.store, globex.id);
    const tokenHash = `token-${newId()}`;
    const sessionHash = `session-${newId()}`;
    await fixture.store.tokens.create({ id: newId(), userId: alice.id, name: 'ci', tokenHash, prefix: 'sph_x', createdAt: at(), expiresAt: null, lastUsedAt: null, revokedAt: null });
    await fixture.store.sessions.create({ id: newId(), userId: bob.id, tokenHash: sessionHash, csrfHash: newId(), createdAt: at(), lastSeenAt: at(), expiresAt: at(60), ip: null, userAgent: null, endedAt: null, endReason: null, method: 'password' });
    expect((await fixture.store.users.getByCredentialHash('token', tokenHash))?.id).toBe(alice.id);
    expect((await fixture.store.users.getByCredentialHash('session', sessionHash))?.id).toBe(bob.id);
    // A token's hash is not a session's, nor the other way round.
    expect(await fixture.store.users.getByCredentialHash('session', tokenHash)).toBeUndefined();
    expect(await fixture.store.users.getByCredentialHash('token', sessionHash)).toBeUndefined();
    expect(await fixture.store.users.getByCredentialHash('token', 'no such hash')).toBeUndefined();
  });

  it('finds a user by email whatever its case, and keeps the case it was given', async () => {
    const user = await addUser(fixture.store, acme.id, { email: 'Mixed.Case@Example.test' });
    expect((await fixture.store.users.getByEmail('mixed.case@example.TEST'))?.id).toBe(user.id);
    expect((await fixture.store.users.getByEmail('MIXED.CASE@EXAMPLE.TEST'))?.email).toBe('Mixed.Case@Example.test');
  });

  it('refuses a second user with the same email in another case, even in another tenant', async () => {
    await addUser(fixture.store, acme.id, { email: 'taken@example.test' });
    await expect(addUser(fixture.store, globex.id, { email: 'TAKEN@example.test' })).rejects.toThrow();
  });

  it('finds a user in a tenant only where they hold a role', async () => {
    const member = await addMember(fixture.store, acme.id);
    expect((await fixture.store.users.getInTenant(acme.id, member.id))?.id).toBe(member.id);
    expect(await fixture.store.users.getInTenant(globex.id, member.id)).toBeUndefined();
    await fixture.store.assignments.set({ userId: member.id, tenantId: globex.id, roleId: 'viewer', assignedAt: at(), assignedBy: null });
    expect((await fixture.store.users.getInTenant(globex.id, member.id))?.id).toBe(member.id);
  });

  describe('listing a tenant', () => {
    let tenant: Tenant;
    const ids: string[] = [];
    beforeAll(async () => {
      tenant = await addTenant(fixture.store);
      for (const name of ['Alice Archer', 'Bob Baker', 'Carol 100%', 'Dan_Dare']) ids.push((await addMember(fixture.store, tenant.id, 'viewer', { displayName: name })).id);
      await addMember(fixture.store, globex.id, 'viewer', { displayName: 'Alice Elsewhere' });
    });

    it("lists the tenant's members in id order, and no one else", async () => {
      const listed = await fixture.store.users.listInTenant(tenant.id, { limit: 100 });
      expect(listed.map((user) => user.id)).toEqual([...ids].sort());
    });

    it('pages after an id', async () => {
      const sorted = [...ids].sort();
      const first = await fixture.store.users.listInTenant(tenant.id, { limit: 2 });
      const second = await fixture.store.users.listInTenant(tenant.id, { limit: 2, after: first.at(-1)!.id });
      expect([...first, ...second].map((user) => user.id)).toEqual(sorted);
    });

    it('searches display names and emails case-insensitively', async () => {
      expect((await fixture.store.users.listInTenant(tenant.id, { limit: 10, search: 'aLiCe' })).map((user) => user.displayName)).toEqual(['Alice Archer']);
      const byEmail = await fixture.store.users.listInTenant(tenant.id, { limit: 10, search: '@EXAMPLE.test' });
      expect(byEmail).toHaveLength(4);
    });

    it('treats %, _ and \\ in a search as plain characters', async () => {
      expect((await fixture.store.users.listInTenant(tenant.id, { limit: 10, search: '100%' })).map((user) => user.displayName)).toEqual(['Carol 100%']);
      expect((await fixture.store.users.listInTenant(tenant.id, { limit: 10, search: 'n_d' })).map((user) => user.displayName)).toEqual(['Dan_Dare']);
      expect(await fixture.store.users.listInTenant(tenant.id, { limit: 10, search: '\\' })).toEqual([]);
    });

    it('searches letters beyond ASCII in any case, with one, two or more characters', async () => {
      const zoe = await addMember(fixture.store, tenant.id, 'viewer', { displayName: 'ZOË Ångström' });
      for (const search of ['ë', 'Ë', 'åN', 'zoë', 'ÅNGSTRÖM', 'ngstr']) {
        expect((await fixture.store.users.listInTenant(tenant.id, { limit: 10, search })).map((user) => user.id), search).toEqual([zoe.id]);
      }
      await fixture.store.users.delete(zoe.id);
    });

    it('keeps the search in step with renames and deletions, on both of its paths', async () => {
      const user = await addMember(fixture.store, tenant.id, 'viewer', { displayName: 'Wilhelmina Xu' });
      const found = async (search: string) => (await fixture.store.users.listInTenant(tenant.id, { limit: 10, search })).map((listed) => listed.id);
      expect(await found('wilhelmina')).toEqual([user.id]);
      await fixture.store.users.update(user.id, { displayName: 'Yolanda Xu', email: 'yolanda@example.test' });
      expect(await found('wilhelmina')).toEqual([]);
      expect(await found('olanda')).toEqual([user.id]);
      expect(await found('yolanda@')).toEqual([user.id]);
      expect(await found('yo')).toEqual([user.id]);
      await fixture.store.users.delete(user.id);
      expect(await found('olanda')).toEqual([]);
      expect(await found('yo')).toEqual([]);
      if (fixture.engine === 'sqlite') {
        // The index forgets them too, not just the join: no key is left behind.
        const keys = await fixture.db.selectFrom('member_search_keys' as never).selectAll().where('user_id' as never, '=', user.id as never).execute();
        expect(keys).toEqual([]);
      }
    });

    it('lists the members of one tenant only, whatever the search', async () => {
      const elsewhere = await addMember(fixture.store, globex.id, 'viewer', { displayName: 'Only Elsewhere' });
      for (const search of ['only elsewhere', 'on', 'O']) {
        expect((await fixture.store.users.listInTenant(tenant.id, { limit: 10, search })).map((user) => user.id), search).not.toContain(elsewhere.id);
      }
      expect((await fixture.store.users.listInTenant(globex.id, { limit: 10, search: 'only elsewhere' })).map((user) => user.id)).toEqual([elsewhere.id]);
    });
  });

  it('updates only the fields given, keeping the normalized email in step', async () => {
    const user = await addUser(fixture.store, acme.id, { email: 'before@example.test' });
    await fixture.store.users.update(user.id, { email: 'After@Example.test', status: 'suspended', mustChangePassword: true, updatedAt: at(9) });
    expect(await fixture.store.users.getById(user.id)).toEqual({ ...user, email: 'After@Example.test', status: 'suspended', mustChangePassword: true, updatedAt: at(9) });
    expect(await fixture.store.users.getByEmail('before@example.test')).toBeUndefined();
    expect((await fixture.store.users.getByEmail('after@example.test'))?.id).toBe(user.id);
    await fixture.store.users.update(user.id, {});
    expect((await fixture.store.users.getById(user.id))?.email).toBe('After@Example.test');
  });

  it('deletes a user with their role assignments, and no one else', async () => {
    const leaving = await addMember(fixture.store, acme.id);
    const staying = await addMember(fixture.store, acme.id);
    await fixture.store.users.delete(leaving.id);
    expect(await fixture.store.users.getById(leaving.id)).toBeUndefined();
    expect(await fixture.store.assignments.listForUser(leaving.id)).toEqual([]);
    expect(await fixture.store.assignments.get(acme.id, staying.id)).toBeDefined();
  });

  it('counts users, and users with a status', async () => {
    const total = await fixture.store.users.count();
    const suspended = await fixture.store.users.countWithStatus('suspended');
    await addUser(fixture.store, acme.id, { status: 'suspended' });
    expect(await fixture.store.users.count()).toBe(total + 1);
    expect(await fixture.store.users.countWithStatus('suspended')).toBe(suspended + 1);
  });

  it('refuses a user whose home tenant does not exist', async () => {
    await expect(addUser(fixture.store, newId())).rejects.toThrow();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

describe.each(engines)('tenant store on %s', (engine) => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
    await addBuiltInRoles(fixture.store);
  });
  afterAll(() => fixture.close());

  it('finds a tenant by id and by slug', async () => {
    const tenant = await addTenant(fixture.store, 'findable');
    expect(await fixture.store.tenants.getById(tenant.id)).toEqual(tenant);
    expect(await fixture.store.tenants.getBySlug('findable')).toEqual(tenant);
    expect(await fixture.store.tenants.getBySlug('missing')).toBeUndefined();
    expect(await fixture.store.tenants.getById(newId())).toBeUndefined();
  });

  it('refuses a second tenant with the same slug', async () => {
    await addTenant(fixture.store, 'unique-slug');
    await expect(addTenant(fixture.store, 'unique-slug')).rejects.toThrow();
  });

  it('lists tenants ordered by slug', async () => {
    const slugs = (await fixture.store.tenants.list()).map((tenant) => tenant.slug);
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toEqual(expect.arrayContaining(['findable', 'unique-slug']));
  });

  it('renames one tenant and leaves the others alone', async () => {
    const renamed = await addTenant(fixture.store);
    const other = await addTenant(fixture.store);
    await fixture.store.tenants.update(renamed.id, { name: 'New name', updatedAt: at(5) });
    expect(await fixture.store.tenants.getById(renamed.id)).toMatchObject({ name: 'New name', updatedAt: at(5) });
    expect(await fixture.store.tenants.getById(other.id)).toEqual(other);
  });

  it("counts only the tenant's own users at home and resources, not another tenant's", async () => {
    const mine = await addTenant(fixture.store);
    const theirs = await addTenant(fixture.store);
    await addMember(fixture.store, mine.id);
    await addMember(fixture.store, theirs.id);
    await addMember(fixture.store, theirs.id);
    await fixture.store.resources.create({ id: newId(), tenantId: theirs.id, kind: 'agent', name: 'a', ownerId: null, previousOwnerId: null, orphanedAt: null, content: null, createdAt: at(), updatedAt: at() });
    expect(await fixture.store.tenants.countContents(mine.id)).toEqual({ homeUsers: 1, resources: 0 });
    expect(await fixture.store.tenants.countContents(theirs.id)).toEqual({ homeUsers: 2, resources: 1 });
  });

  it("deletes a tenant with its roles and assignments, and nothing of another tenant's", async () => {
    const doomed = await addTenant(fixture.store);
    const survivor = await addTenant(fixture.store);
    const home = await addTenant(fixture.store);
    const guest = await addMember(fixture.store, home.id);
    const role = (slug: string, tenantId: string) => ({ id: newId(), name: slug, description: '', tenantId, builtIn: false, permissions: [], createdAt: at(), updatedAt: at() });
    const doomedRole = role('local', doomed.id);
    const survivingRole = role('local', survivor.id);
    await fixture.store.roles.create(doomedRole);
    await fixture.store.roles.create(survivingRole);
    await fixture.store.assignments.set({ userId: guest.id, tenantId: doomed.id, roleId: doomedRole.id, assignedAt: at(), assignedBy: null });
    await fixture.store.assignments.set({ userId: guest.id, tenantId: survivor.id, roleId: survivingRole.id, assignedAt: at(), assignedBy: null });

    await fixture.store.tenants.delete(doomed.id);
    expect(await fixture.store.tenants.getById(doomed.id)).toBeUndefined();
    expect(await fixture.store.roles.getById(doomedRole.id)).toBeUndefined();
    expect(await fixture.store.assignments.get(doomed.id, guest.id)).toBeUndefined();
    expect(await fixture.store.roles.getById(survivingRole.id)).toBeDefined();
    expect(await fixture.store.assignments.get(survivor.id, guest.id)).toBeDefined();
    expect(await fixture.store.users.getById(guest.id)).toBeDefined();
  });

  it("counts each tenant's members, users at home and resources in the list, not another tenant's", async () => {
    const mine = await addTenant(fixture.store);
    const theirs = await addTenant(fixture.store);
    await addMember(fixture.store, mine.id);
    const guest = await addMember(fixture.store, theirs.id);
    await fixture.store.assignments.set({ userId: guest.id, tenantId: mine.id, roleId: 'operator', assignedAt: at(), assignedBy: null });
    await fixture.store.resources.create({ id: newId(), tenantId: theirs.id, kind: 'agent', name: 'a', ownerId: null, previousOwnerId: null, orphanedAt: null, content: null, createdAt: at(), updatedAt: at() });
    const listed = await fixture.store.tenants.listWithCounts();
    expect(listed.find((tenant) => tenant.id === mine.id)).toMatchObject({ slug: mine.slug, memberCount: 2, homeUserCount: 1, resourceCount: 0 });
    expect(listed.find((tenant) => tenant.id === theirs.id)).toMatchObject({ slug: theirs.slug, memberCount: 1, homeUserCount: 1, resourceCount: 1 });
    expect(listed.map((tenant) => tenant.slug)).toEqual((await fixture.store.tenants.list()).map((tenant) => tenant.slug));
  });

  it("lists a tenant's members with their role and home tenant, a page at a time, and no one of another tenant", async () => {
    const tenant = await addTenant(fixture.store);
    const other = await addTenant(fixture.store);
    const local = await addMember(fixture.store, tenant.id, 'admin');
    const guest = await addMember(fixture.store, other.id);
    await fixture.store.assignments.set({ userId: guest.id, tenantId: tenant.id, roleId: 'operator', assignedAt: at(3), assignedBy: null });
    await addMember(fixture.store, other.id);

    const members = await fixture.store.tenants.listMembers(tenant.id, { limit: 10 }, at(10));
    expect(members).toEqual(
      [
        { userId: local.id, email: local.email, displayName: local.displayName, status: 'active', homeTenant: tenant.slug, role: { id: 'admin', name: 'Admin', builtIn: true }, assignedAt: at(), endsAt: null, thenRole: null },
        { userId: guest.id, email: guest.email, displayName: guest.displayName, status: 'active', homeTenant: other.slug, role: { id: 'operator', name: 'Operator', builtIn: true }, assignedAt: at(3), endsAt: null, thenRole: null },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
    const first = await fixture.store.tenants.listMembers(tenant.id, { limit: 1 }, at(10));
    expect(first).toHaveLength(1);
    expect(await fixture.store.tenants.listMembers(tenant.id, { after: first[0]!.userId, limit: 10 }, at(10))).toEqual([members[1]]);
    expect((await fixture.store.tenants.listMembers(other.id, { limit: 10 }, at(10))).map((member) => member.userId)).not.toContain(local.id);
  });

  it('lists a time-bound member with the role in force, its end and the role after, and the permanent role once it ended', async () => {
    const tenant = await addTenant(fixture.store);
    const member = await addMember(fixture.store, tenant.id, 'viewer');
    await fixture.store.assignments.setElevation({ userId: member.id, tenantId: tenant.id, roleId: 'operator', endsAt: at(20), assignedAt: at(5), assignedBy: null, accessRequestId: null });
    expect((await fixture.store.tenants.listMembers(tenant.id, { limit: 10 }, at(19)))[0]).toMatchObject({ role: { id: 'operator' }, assignedAt: at(5), endsAt: at(20), thenRole: { id: 'viewer', name: 'Viewer' } });
    expect((await fixture.store.tenants.listMembers(tenant.id, { limit: 10 }, at(20)))[0]).toMatchObject({ role: { id: 'viewer' }, endsAt: null, thenRole: null });
  });

  it('rolls back everything written in a failed transaction', async () => {
    await expect(
      fixture.store.transaction(async (store) => {
        await addTenant(store, 'rolled-back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await fixture.store.tenants.getBySlug('rolled-back')).toBeUndefined();
  });
});

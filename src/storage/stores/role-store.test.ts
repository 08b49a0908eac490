import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { Role } from '../../domain/roles/role.ts';
import { roleIdInForce } from '../../domain/roles/role-elevation.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const customRole = (name: string, tenantId: string | null, permissions: Role['permissions'] = ['ViewUsers']): Role => ({
  id: newId(),
  name,
  description: `${name} role`,
  tenantId,
  builtIn: false,
  permissions,
  createdAt: at(),
  updatedAt: at(),
});

describe.each(engines)('role store on %s', (engine) => {
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

  it('keeps every field of a role, permissions in order', async () => {
    const role = customRole('keeper', acme.id, ['ManageUsers', 'ViewUsers', 'ViewAuditLogs']);
    await fixture.store.roles.create(role);
    expect(await fixture.store.roles.getById(role.id)).toEqual(role);
  });

  it("shows a tenant the built-in, global and its own roles, never another tenant's", async () => {
    const shared = customRole('shared', null);
    const mine = customRole('mine', acme.id);
    const theirs = customRole('theirs', globex.id);
    for (const role of [shared, mine, theirs]) await fixture.store.roles.create(role);
    const visible = (await fixture.store.roles.listVisibleIn(acme.id)).map((role) => role.name);
    expect(visible.slice(0, 3)).toEqual(['Admin', 'Operator', 'Viewer']);
    expect(visible).toEqual(expect.arrayContaining(['shared', 'mine']));
    expect(visible).not.toContain('theirs');
    expect((await fixture.store.roles.listAll()).map((role) => role.name)).toEqual(expect.arrayContaining(['shared', 'mine', 'theirs']));
  });

  it('refuses two roles of one tenant with the same name in any case, but not across tenants', async () => {
    await fixture.store.roles.create(customRole('Editor', acme.id));
    await expect(fixture.store.roles.create(customRole('editor', acme.id))).rejects.toThrow();
    await fixture.store.roles.create(customRole('editor', globex.id));
  });

  it('counts custom roles per tenant, and global ones apart, leaving out built-ins', async () => {
    const tenant = await addTenant(fixture.store);
    const other = await addTenant(fixture.store);
    const globals = await fixture.store.roles.countCustomIn(null);
    await fixture.store.roles.create(customRole('one', tenant.id));
    await fixture.store.roles.create(customRole('two', tenant.id));
    await fixture.store.roles.create(customRole('elsewhere', other.id));
    expect(await fixture.store.roles.countCustomIn(tenant.id)).toBe(2);
    expect(await fixture.store.roles.countCustomIn(other.id)).toBe(1);
    expect(await fixture.store.roles.countCustomIn(null)).toBe(globals);
  });

  it('updates and deletes one role', async () => {
    const role = customRole('changing', acme.id);
    const bystander = customRole('bystander', acme.id);
    await fixture.store.roles.create(role);
    await fixture.store.roles.create(bystander);
    await fixture.store.roles.update(role.id, { name: 'Changed', description: 'new', permissions: ['ManageAgents'], updatedAt: at(3) });
    expect(await fixture.store.roles.getById(role.id)).toEqual({ ...role, name: 'Changed', description: 'new', permissions: ['ManageAgents'], updatedAt: at(3) });
    await fixture.store.roles.delete(role.id);
    expect(await fixture.store.roles.getById(role.id)).toBeUndefined();
    expect(await fixture.store.roles.getById(bystander.id)).toEqual(bystander);
  });

  it('makes a second transaction wait for the role-name lock until the first one ends', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const firstLocked = new Promise<void>((resolve) => (locked = resolve));
    const first = fixture.store.transaction(async (store) => {
      await store.roles.lockNamesForTransaction();
      locked();
      await held;
      order.push('first done');
    });
    await firstLocked;
    const second = fixture.store.transaction(async (store) => {
      await store.roles.lockNamesForTransaction();
      order.push('second locked');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first done', 'second locked']);
  });

  describe('assignments', () => {
    it('holds one role per user and tenant: setting again replaces it', async () => {
      const user = await addMember(fixture.store, acme.id, 'viewer');
      await fixture.store.assignments.set({ userId: user.id, tenantId: acme.id, roleId: 'operator', assignedAt: at(2), assignedBy: null });
      expect(await fixture.store.assignments.get(acme.id, user.id)).toEqual({ userId: user.id, tenantId: acme.id, roleId: 'operator', assignedAt: at(2), assignedBy: null });
      expect(await fixture.store.assignments.listForUser(user.id)).toHaveLength(1);
    });

    it('keeps the assignments of each tenant apart', async () => {
      const user = await addMember(fixture.store, acme.id, 'admin');
      expect(await fixture.store.assignments.get(globex.id, user.id)).toBeUndefined();
      await fixture.store.assignments.set({ userId: user.id, tenantId: globex.id, roleId: 'viewer', assignedAt: at(1), assignedBy: user.id });
      expect((await fixture.store.assignments.listForUser(user.id)).map((assignment) => [assignment.tenantId, assignment.roleId])).toEqual([
        [acme.id, 'admin'],
        [globex.id, 'viewer'],
      ]);
      expect((await fixture.store.assignments.listForTenant(globex.id)).filter((assignment) => assignment.userId === user.id).map((assignment) => assignment.roleId)).toEqual(['viewer']);
      await fixture.store.assignments.remove(globex.id, user.id);
      expect(await fixture.store.assignments.get(globex.id, user.id)).toBeUndefined();
      expect((await fixture.store.assignments.listForTenant(globex.id)).some((assignment) => assignment.userId === user.id)).toBe(false);
      expect((await fixture.store.assignments.listForTenant(acme.id)).some((assignment) => assignment.userId === user.id)).toBe(true);
      expect(await fixture.store.assignments.get(acme.id, user.id)).toBeDefined();
    });

    it("reads the role a user holds in one tenant, and nothing for another tenant", async () => {
      const role = customRole('reader-of-acme', acme.id, ['ViewUsers', 'ViewAuditLogs']);
      await fixture.store.roles.create(role);
      const user = await addMember(fixture.store, acme.id, role.id);
      expect(await fixture.store.assignments.getRole(acme.id, user.id, at(1))).toEqual(role);
      expect(await fixture.store.assignments.getRole(globex.id, user.id, at(1))).toBeUndefined();
    });

    it('counts the holders of a role', async () => {
      const role = customRole('counted', acme.id);
      await fixture.store.roles.create(role);
      await addMember(fixture.store, acme.id, role.id);
      await addMember(fixture.store, acme.id, role.id);
      expect(await fixture.store.assignments.countUsingRole(role.id, at(1))).toBe(2);
    });

    it('refuses to delete a role someone holds', async () => {
      const role = customRole('held', acme.id);
      await fixture.store.roles.create(role);
      await addMember(fixture.store, acme.id, role.id);
      await expect(fixture.store.roles.delete(role.id)).rejects.toThrow();
    });

    describe('elevations (time-bound assignments)', () => {
      const elevate = (userId: string, tenantId: string, roleId: string, endsAt: string) =>
        fixture.store.assignments.setElevation({ userId, tenantId, roleId, endsAt, assignedAt: at(1), assignedBy: null, accessRequestId: null });

      it('an elevation wins until its end, from which instant the permanent role applies again, as elevationInForce says', async () => {
        const user = await addMember(fixture.store, acme.id, 'viewer');
        await elevate(user.id, acme.id, 'operator', at(10));
        for (const [now, expected] of [[at(9), 'operator'], [at(10), 'viewer'], [at(11), 'viewer']] as const) {
          expect((await fixture.store.assignments.getRole(acme.id, user.id, now))?.id, now).toBe(expected);
          expect(roleIdInForce({ roleId: 'viewer' }, { roleId: 'operator', endsAt: at(10) }, now), now).toBe(expected);
          const [membership] = (await fixture.store.assignments.listMembershipsOfUser(user.id, now)).filter((entry) => entry.tenantId === acme.id);
          expect(membership!.role.id, now).toBe(expected);
          expect(membership!.endsAt, now).toBe(expected === 'operator' ? at(10) : null);
          expect(membership!.thenRole, now).toEqual(expected === 'operator' ? { id: 'viewer', name: 'Viewer' } : null);
        }
        expect(await fixture.store.assignments.get(acme.id, user.id)).toMatchObject({ roleId: 'viewer' });
        expect(await fixture.store.assignments.getElevation(acme.id, user.id)).toMatchObject({ roleId: 'operator', endsAt: at(10) });
        expect(await fixture.store.assignments.getElevation(globex.id, user.id)).toBeUndefined();
      });

      it('counts an elevation in force as a holder, once, and never for the last-Admin count', async () => {
        const tenant = await addTenant(fixture.store);
        const role = customRole('elevated-to', tenant.id);
        await fixture.store.roles.create(role);
        const user = await addMember(fixture.store, tenant.id, 'viewer');
        await elevate(user.id, tenant.id, role.id, at(10));
        expect(await fixture.store.assignments.countUsingRole(role.id, at(9))).toBe(1);
        expect(await fixture.store.assignments.countUsingRole(role.id, at(10))).toBe(0);
        await elevate(user.id, tenant.id, 'admin', at(10));
        expect(await fixture.store.transaction((store) => store.assignments.listActiveHolders(tenant.id, 'admin'))).toEqual([]);
      });

      it('endElevation and a removal end the elevation; a role deleted takes its ended elevations along', async () => {
        const user = await addMember(fixture.store, acme.id, 'viewer');
        await elevate(user.id, acme.id, 'operator', at(10));
        await fixture.store.assignments.endElevation(acme.id, user.id);
        expect(await fixture.store.assignments.getElevation(acme.id, user.id)).toBeUndefined();
        expect((await fixture.store.assignments.getRole(acme.id, user.id, at(3)))?.id).toBe('viewer');
        await elevate(user.id, acme.id, 'operator', at(10));
        await fixture.store.assignments.remove(acme.id, user.id);
        expect(await fixture.store.assignments.getElevation(acme.id, user.id)).toBeUndefined();
        const role = customRole('short-lived', acme.id);
        await fixture.store.roles.create(role);
        const other = await addMember(fixture.store, acme.id, 'viewer');
        await elevate(other.id, acme.id, role.id, at(10));
        await fixture.store.roles.delete(role.id);
        expect(await fixture.store.assignments.getElevation(acme.id, other.id)).toBeUndefined();
      });
    });

    it('lists the active holders of a role in one tenant only, in a transaction', async () => {
      const tenant = await addTenant(fixture.store);
      const active = await addMember(fixture.store, tenant.id, 'admin');
      await addMember(fixture.store, tenant.id, 'admin', { status: 'suspended' });
      await addMember(fixture.store, tenant.id, 'viewer');
      await addMember(fixture.store, globex.id, 'admin');
      const holders = await fixture.store.transaction((store) => store.assignments.listActiveHolders(tenant.id, 'admin'));
      expect(holders).toEqual([active.id]);
    });
  });
});

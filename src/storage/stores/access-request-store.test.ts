import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../domain/access/access-request.ts';
import { newId } from '../../domain/ids.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** The access-request store's contract (migration 012), on both engines, with its "another tenant" cases. */
describe.each(engines)('access request store on %s', (engine) => {
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

  const request = (userId: string, tenantId: string, minute: number): Omit<AccessRequest, 'tenantSlug'> => ({
    id: newId(),
    tenantId,
    userId,
    userEmail: `${userId}@example.test`,
    roleId: 'operator',
    roleName: 'Operator',
    durationSeconds: 4 * 3600,
    reason: 'release day',
    status: 'pending',
    createdAt: at(minute),
    decidedAt: null,
    decidedBy: null,
    decidedByEmail: null,
    decisionReason: null,
    endsAt: null,
  });

  it('keeps every field, read with its tenant slug, and never from another tenant', async () => {
    const user = await addMember(fixture.store, acme.id, 'viewer');
    const asked = request(user.id, acme.id, 1);
    await fixture.store.accessRequests.create(asked);
    expect(await fixture.store.accessRequests.get(acme.id, asked.id)).toEqual({ ...asked, tenantSlug: 'acme' });
    expect(await fixture.store.accessRequests.get(globex.id, asked.id)).toBeUndefined();
    expect((await fixture.store.accessRequests.listForTenant(globex.id, { limit: 10 })).some((entry) => entry.id === asked.id)).toBe(false);
  });

  it('lists a tenant\'s requests newest first, by status, a page at a time, and a user\'s own across tenants', async () => {
    const user = await addMember(fixture.store, acme.id, 'viewer');
    await fixture.store.assignments.set({ userId: user.id, tenantId: globex.id, roleId: 'viewer', assignedAt: at(), assignedBy: null });
    const first = request(user.id, acme.id, 2);
    const second = request(user.id, globex.id, 3);
    const third = request(user.id, acme.id, 4);
    for (const entry of [first, second, third]) await fixture.store.accessRequests.create(entry);
    const mine = await fixture.store.accessRequests.listForUser(user.id, { limit: 10 });
    expect(mine.map((entry) => entry.id)).toEqual([third.id, second.id, first.id]);
    expect(mine.map((entry) => entry.tenantSlug)).toEqual(['acme', 'globex', 'acme']);
    const page = await fixture.store.accessRequests.listForTenant(acme.id, { status: 'pending', limit: 1 });
    expect(page.map((entry) => entry.id)).toEqual([third.id]);
    expect((await fixture.store.accessRequests.listForTenant(acme.id, { status: 'pending', before: third.id, limit: 10 })).map((entry) => entry.id)).toContain(first.id);
    expect(await fixture.store.accessRequests.listForTenant(acme.id, { status: 'denied', limit: 10 })).toEqual([]);
  });

  it('decides a pending request once, and only in its tenant', async () => {
    const user = await addMember(fixture.store, acme.id, 'viewer');
    const asked = request(user.id, acme.id, 5);
    await fixture.store.accessRequests.create(asked);
    const decision = { status: 'approved' as const, decidedAt: at(6), decidedBy: user.id, decidedByEmail: 'a@example.test', decisionReason: 'ok', endsAt: at(246) };
    expect(await fixture.store.accessRequests.decide(globex.id, asked.id, decision)).toBe(false);
    expect(await fixture.store.accessRequests.decide(acme.id, asked.id, decision)).toBe(true);
    expect(await fixture.store.accessRequests.decide(acme.id, asked.id, { ...decision, status: 'denied', endsAt: null })).toBe(false);
    expect(await fixture.store.accessRequests.get(acme.id, asked.id)).toMatchObject(decision);
  });
});

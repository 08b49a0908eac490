import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import type { OwnedResource } from '../../domain/resources/resource.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import { addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

describe.each(engines)('resource store on %s', (engine) => {
  let fixture: StoreFixture;
  let acme: Tenant;
  let globex: Tenant;

  const aResource = (tenantId: string, changes: Partial<OwnedResource> = {}): OwnedResource => ({
    id: newId(),
    tenantId,
    kind: 'workflow',
    name: 'nightly',
    ownerId: newId(),
    previousOwnerId: null,
    orphanedAt: null,
    content: { steps: [{ run: 'build' }], enabled: true },
    createdAt: at(),
    updatedAt: at(),
    ...changes,
  });
  const add = async (resource: OwnedResource) => {
    await fixture.store.resources.create(resource);
    return resource;
  };

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    acme = await addTenant(fixture.store, 'acme');
    globex = await addTenant(fixture.store, 'globex');
  });
  afterAll(() => fixture.close());

  it('keeps every field, content as JSON', async () => {
    const resource = await add(aResource(acme.id, { content: null }));
    const rich = await add(aResource(acme.id, { content: ['a', 1, { b: null }] }));
    expect(await fixture.store.resources.get(acme.id, 'workflow', resource.id)).toEqual(resource);
    expect((await fixture.store.resources.get(acme.id, 'workflow', rich.id))?.content).toEqual(['a', 1, { b: null }]);
  });

  it('finds a resource only in its own tenant and under its own kind', async () => {
    const resource = await add(aResource(acme.id));
    expect(await fixture.store.resources.get(globex.id, 'workflow', resource.id)).toBeUndefined();
    expect(await fixture.store.resources.get(acme.id, 'agent', resource.id)).toBeUndefined();
  });

  it('lists one kind of one tenant in id order, paged after an id', async () => {
    const tenant = await addTenant(fixture.store);
    const workflows = [await add(aResource(tenant.id)), await add(aResource(tenant.id)), await add(aResource(tenant.id))];
    await add(aResource(tenant.id, { kind: 'document' }));
    await add(aResource(globex.id));
    const first = await fixture.store.resources.list(tenant.id, 'workflow', { limit: 2 });
    const rest = await fixture.store.resources.list(tenant.id, 'workflow', { limit: 2, after: first.at(-1)!.id });
    expect([...first, ...rest].map((resource) => resource.id)).toEqual(workflows.map((resource) => resource.id));
  });

  it("changes and deletes nothing through another tenant's id", async () => {
    const resource = await add(aResource(acme.id));
    await fixture.store.resources.update(globex.id, resource.id, { name: 'hijacked', content: null, updatedAt: at(1) });
    await fixture.store.resources.delete(globex.id, resource.id);
    expect(await fixture.store.resources.deleteMany(globex.id, [resource.id])).toBe(0);
    expect(await fixture.store.resources.get(acme.id, 'workflow', resource.id)).toEqual(resource);

    await fixture.store.resources.update(acme.id, resource.id, { name: 'renamed', content: { v: 2 }, updatedAt: at(2) });
    expect(await fixture.store.resources.get(acme.id, 'workflow', resource.id)).toMatchObject({ name: 'renamed', content: { v: 2 }, updatedAt: at(2) });
    await fixture.store.resources.delete(acme.id, resource.id);
    expect(await fixture.store.resources.get(acme.id, 'workflow', resource.id)).toBeUndefined();
  });

  it('orphans everything a user owns, in every tenant', async () => {
    const owner = newId();
    const inAcme = await add(aResource(acme.id, { ownerId: owner }));
    const inGlobex = await add(aResource(globex.id, { ownerId: owner, kind: 'agent' }));
    const someoneElses = await add(aResource(acme.id));
    expect(await fixture.store.resources.orphanAllOf(owner, at(10))).toBe(2);
    expect(await fixture.store.resources.get(acme.id, 'workflow', inAcme.id)).toMatchObject({ ownerId: null, previousOwnerId: owner, orphanedAt: at(10) });
    expect(await fixture.store.resources.get(globex.id, 'agent', inGlobex.id)).toMatchObject({ ownerId: null, previousOwnerId: owner });
    expect(await fixture.store.resources.get(acme.id, 'workflow', someoneElses.id)).toEqual(someoneElses);
  });

  it("reassigns a former owner's orphans in one tenant only", async () => {
    const owner = newId();
    const heir = newId();
    const inAcme = await add(aResource(acme.id, { ownerId: owner }));
    const inGlobex = await add(aResource(globex.id, { ownerId: owner }));
    await fixture.store.resources.orphanAllOf(owner, at(10));
    expect(await fixture.store.resources.reassignOrphans(acme.id, owner, heir, at(11))).toBe(1);
    expect(await fixture.store.resources.get(acme.id, 'workflow', inAcme.id)).toMatchObject({ ownerId: heir, previousOwnerId: null, orphanedAt: null });
    expect(await fixture.store.resources.get(globex.id, 'workflow', inGlobex.id)).toMatchObject({ ownerId: null, previousOwnerId: owner });
  });

  it("lists a tenant's orphans older than a cutoff, oldest first, and purges them", async () => {
    const tenant = await addTenant(fixture.store);
    const older = await add(aResource(tenant.id, { ownerId: null, previousOwnerId: newId(), orphanedAt: at(1) }));
    const newer = await add(aResource(tenant.id, { ownerId: null, previousOwnerId: newId(), orphanedAt: at(2) }));
    await add(aResource(tenant.id, { ownerId: null, previousOwnerId: newId(), orphanedAt: at(50) }));
    await add(aResource(globex.id, { ownerId: null, previousOwnerId: newId(), orphanedAt: at(1) }));
    const orphans = await fixture.store.resources.listOrphans(tenant.id, at(10), 100);
    expect(orphans.map((resource) => resource.id)).toEqual([older.id, newer.id]);
    expect(await fixture.store.resources.deleteMany(tenant.id, orphans.map((resource) => resource.id))).toBe(2);
    expect(await fixture.store.resources.deleteMany(tenant.id, [])).toBe(0);
    expect(await fixture.store.resources.listOrphans(tenant.id, at(100), 100)).toHaveLength(1);
  });

  it('counts orphans per tenant, of one former owner or older than a cutoff, in the tenants asked about', async () => {
    const owner = newId();
    const [first, second, unasked] = [await addTenant(fixture.store), await addTenant(fixture.store), await addTenant(fixture.store)];
    const orphan = (tenantId: string, previousOwnerId: string, orphanedAt: string) => add(aResource(tenantId, { ownerId: null, previousOwnerId, orphanedAt }));
    await orphan(first.id, owner, at(1));
    await orphan(first.id, owner, at(30));
    await orphan(second.id, owner, at(1));
    await orphan(second.id, newId(), at(1));
    await orphan(unasked.id, owner, at(1));
    await add(aResource(first.id, { ownerId: owner }));
    const byTenant = (counts: { tenantId: string; count: number }[]) => Object.fromEntries(counts.map(({ tenantId, count }) => [tenantId, count]));

    expect(byTenant(await fixture.store.resources.countOrphans({ previousOwnerId: owner }))).toEqual({ [first.id]: 2, [second.id]: 1, [unasked.id]: 1 });
    expect(byTenant(await fixture.store.resources.countOrphans({ tenantIds: [first.id, second.id], orphanedBefore: at(10) }))).toEqual({ [first.id]: 1, [second.id]: 2 });
    expect(byTenant(await fixture.store.resources.countOrphans({ tenantIds: [first.id, second.id], previousOwnerId: owner, orphanedBefore: at(10) }))).toEqual({ [first.id]: 1, [second.id]: 1 });
    expect(await fixture.store.resources.countOrphans({ tenantIds: [], previousOwnerId: owner })).toEqual([]);
  });

  it("moves what an owner has in one tenant to another, and nothing else", async () => {
    const owner = newId();
    const from = await addTenant(fixture.store);
    const to = await addTenant(fixture.store);
    const moving = await add(aResource(from.id, { ownerId: owner }));
    const elsewhere = await add(aResource(globex.id, { ownerId: owner }));
    const notTheirs = await add(aResource(from.id));
    expect(await fixture.store.resources.moveOwned(owner, from.id, to.id, at(20))).toBe(1);
    expect(await fixture.store.resources.get(to.id, 'workflow', moving.id)).toMatchObject({ tenantId: to.id, updatedAt: at(20) });
    expect(await fixture.store.resources.get(globex.id, 'workflow', elsewhere.id)).toEqual(elsewhere);
    expect(await fixture.store.resources.get(from.id, 'workflow', notTheirs.id)).toEqual(notTheirs);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import { GLOBAL_SCOPE, type AuthPolicyRecord } from '../../domain/sessions/authentication-policy.ts';
import { addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aPolicy = (scopeId: string, changes: Partial<AuthPolicyRecord> = {}): AuthPolicyRecord => ({
  scopeId,
  requireTwoFactor: true,
  idleTimeoutSeconds: 900,
  absoluteTimeoutSeconds: 86_400,
  updatedAt: at(),
  updatedBy: newId(),
  ...changes,
});

/** Policies are kept by scope (the installation, or one tenant): the isolation case is another scope. */
describe.each(engines)('auth policy store on %s', (engine) => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('lists nothing for scopes without overrides', async () => {
    expect(await fixture.store.authPolicies.list([newId()])).toEqual([]);
    expect(await fixture.store.authPolicies.list([])).toEqual([]);
  });

  it('keeps the installation-wide and the tenant overrides side by side, listing only the scopes asked for', async () => {
    const [tenant, another] = [await addTenant(fixture.store), await addTenant(fixture.store)];
    const global = aPolicy(GLOBAL_SCOPE, { requireTwoFactor: false, idleTimeoutSeconds: null });
    const tenantPolicy = aPolicy(tenant.id, { absoluteTimeoutSeconds: null, updatedBy: null });
    await fixture.store.authPolicies.set(global);
    await fixture.store.authPolicies.set(tenantPolicy);
    await fixture.store.authPolicies.set(aPolicy(another.id));
    const listed = await fixture.store.authPolicies.list([GLOBAL_SCOPE, tenant.id]);
    expect(listed.sort((a, b) => a.scopeId.localeCompare(b.scopeId))).toEqual([global, tenantPolicy].sort((a, b) => a.scopeId.localeCompare(b.scopeId)));
  });

  it('keeps "not set" apart from "off": null, false and true come back as they were set', async () => {
    const scopes = [newId(), newId(), newId()];
    const values = [null, false, true];
    for (const [index, scopeId] of scopes.entries()) await fixture.store.authPolicies.set(aPolicy(scopeId, { requireTwoFactor: values[index] }));
    for (const [index, scopeId] of scopes.entries()) expect((await fixture.store.authPolicies.list([scopeId]))[0]?.requireTwoFactor).toBe(values[index]);
  });

  it('replaces every field of a scope it sets again, clearing those set to null', async () => {
    const scopeId = newId();
    await fixture.store.authPolicies.set(aPolicy(scopeId));
    const replaced = aPolicy(scopeId, { requireTwoFactor: null, idleTimeoutSeconds: 60, absoluteTimeoutSeconds: null, updatedAt: at(5), updatedBy: null });
    await fixture.store.authPolicies.set(replaced);
    expect(await fixture.store.authPolicies.list([scopeId])).toEqual([replaced]);
  });

  it("deletes one scope's overrides and leaves another scope's", async () => {
    const [mine, another] = [aPolicy(newId()), aPolicy(newId())];
    await fixture.store.authPolicies.set(mine);
    await fixture.store.authPolicies.set(another);
    await fixture.store.authPolicies.delete(mine.scopeId);
    expect(await fixture.store.authPolicies.list([mine.scopeId, another.scopeId])).toEqual([another]);
    await fixture.store.authPolicies.delete(mine.scopeId);
  });
});

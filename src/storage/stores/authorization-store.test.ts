import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newId } from '../../domain/ids.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import type { StoredUser } from '../../domain/users/user.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** The single statement behind every authorized request (issue 8): what it reads, and what it never mixes up. */
describe.each(engines)('authorization store on %s', (engine) => {
  let fixture: StoreFixture;
  let home: Tenant;
  let defaultTenant: Tenant;
  let user: StoredUser;
  const tokenSecret = `sph_${newId()}`;
  const sessionSecret = newId();

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    const { store } = fixture;
    await addBuiltInRoles(store);
    defaultTenant = await addTenant(store);
    home = await addTenant(store);
    user = await addMember(store, home.id, 'operator');
    await store.assignments.set({ userId: user.id, tenantId: defaultTenant.id, roleId: 'viewer', assignedAt: at(2), assignedBy: null });
    await store.tokens.create({ id: newId(), userId: user.id, name: 't', tokenHash: hashSecret(tokenSecret), prefix: 'sph_', createdAt: at(), expiresAt: null, lastUsedAt: null, revokedAt: null });
    await store.sessions.create({
      id: newId(),
      userId: user.id,
      tokenHash: hashSecret(sessionSecret),
      csrfHash: hashSecret('csrf'),
      createdAt: at(),
      lastSeenAt: at(),
      expiresAt: at(600),
      ip: null,
      userAgent: null,
      endedAt: null,
      endReason: null,
      method: 'password',
    });
  });
  afterAll(() => fixture.close());

  const load = (query: { credential?: 'token' | 'session'; hash?: string; tenant?: string | null; now?: string }) =>
    fixture.store.authorization.load({
      credential: query.credential ?? 'token',
      hash: query.hash ?? hashSecret(tokenSecret),
      tenant: query.tenant ?? null,
      defaultTenantId: defaultTenant.id,
      now: query.now ?? at(1),
    });

  it("reads a token with its owner, the home tenant, the role there and the role in default", async () => {
    const facts = await load({});
    expect(facts?.token).toMatchObject({ userId: user.id, tokenHash: hashSecret(tokenSecret), revokedAt: null });
    expect(facts?.session).toBeUndefined();
    // Only the fields the checks use are read.
    const stored = (await fixture.store.users.getById(user.id))!;
    expect(facts?.user).toEqual({ id: stored.id, email: stored.email, homeTenantId: stored.homeTenantId, status: stored.status, passwordHash: stored.passwordHash, mustChangePassword: stored.mustChangePassword });
    expect(facts?.homeTenantSlug).toBe(home.slug);
    expect(facts?.acting?.tenant).toEqual({ id: home.id, slug: home.slug, name: home.name });
    const role = (await fixture.store.assignments.getRole(home.id, user.id, new Date().toISOString()))!;
    expect(facts?.acting?.role).toEqual({ id: role.id, name: role.name, tenantId: role.tenantId, builtIn: role.builtIn, permissions: role.permissions });
    expect(facts?.roleInDefault?.id).toBe('viewer');
    expect(facts).toMatchObject({ twoFactorStatus: null, twoFactorReenrolmentRequiredAt: null, policies: { global: undefined, home: undefined, acting: undefined } });
  });

  it('reads a session the same way, and nothing for a hash of neither kind', async () => {
    const facts = await load({ credential: 'session', hash: hashSecret(sessionSecret) });
    expect(facts?.session).toMatchObject({ userId: user.id, method: 'password', endedAt: null });
    expect(facts?.user?.id).toBe(user.id);
    // A session's hash is not a token's, and the reverse.
    expect(await load({ credential: 'token', hash: hashSecret(sessionSecret) })).toBeUndefined();
    expect(await load({ credential: 'session', hash: hashSecret(tokenSecret) })).toBeUndefined();
    expect(await load({ hash: hashSecret('unknown') })).toBeUndefined();
  });

  it('acts in the tenant named by slug or id, a slug first; an unknown one reads as none, one without a role as no role', async () => {
    expect((await load({ tenant: defaultTenant.slug }))?.acting).toMatchObject({ tenant: { id: defaultTenant.id }, role: { id: 'viewer' } });
    expect((await load({ tenant: defaultTenant.id }))?.acting).toMatchObject({ tenant: { id: defaultTenant.id }, role: { id: 'viewer' } });
    // A tenant whose slug is another tenant's id: the slug wins, as it always did.
    const confusing = await addTenant(fixture.store, home.id);
    expect((await load({ tenant: home.id }))?.acting).toEqual({ tenant: { id: confusing.id, slug: confusing.slug, name: confusing.name }, role: undefined });
    expect((await load({ tenant: 'no-such-tenant' }))?.acting).toBeUndefined();
    const other = await addTenant(fixture.store);
    expect((await load({ tenant: other.slug }))?.acting).toEqual({ tenant: { id: other.id, slug: other.slug, name: other.name }, role: undefined });
  });

  it('reads the global policy, the home tenant\'s and the acting tenant\'s, each for its own scope, and the 2FA state', async () => {
    const other = await addTenant(fixture.store);
    await fixture.store.assignments.set({ userId: user.id, tenantId: other.id, roleId: 'viewer', assignedAt: at(), assignedBy: null });
    const policy = (scopeId: string, requireTwoFactor: boolean | null, idle: number | null) =>
      fixture.store.authPolicies.set({ scopeId, requireTwoFactor, idleTimeoutSeconds: idle, absoluteTimeoutSeconds: null, updatedAt: at(), updatedBy: null });
    await policy('global', false, null);
    await policy(home.id, null, 600);
    await policy(other.id, true, null);
    await fixture.store.twoFactor.setReenrolmentRequired(user.id, at(5));
    const facts = await load({ tenant: other.slug });
    expect(facts?.policies.global).toMatchObject({ scopeId: 'global', requireTwoFactor: false });
    expect(facts?.policies.home).toMatchObject({ scopeId: home.id, idleTimeoutSeconds: 600, requireTwoFactor: null });
    expect(facts?.policies.acting).toMatchObject({ scopeId: other.id, requireTwoFactor: true });
    await fixture.store.twoFactor.savePending({ userId: user.id, status: 'pending', secretCiphertext: 'x', secretKeyId: 'k', createdAt: at(), enabledAt: null, lastUsedStep: null });
    expect(await load({})).toMatchObject({ twoFactorStatus: 'pending', twoFactorReenrolmentRequiredAt: at(5) });
  });

  it('reads the role in force at the request\'s now: an elevation until its end, then the permanent role, in the acting tenant and in default', async () => {
    const other = await addTenant(fixture.store);
    await fixture.store.assignments.set({ userId: user.id, tenantId: other.id, roleId: 'viewer', assignedAt: at(), assignedBy: null });
    const elevate = (tenantId: string, roleId: string) =>
      fixture.store.assignments.setElevation({ userId: user.id, tenantId, roleId, endsAt: at(60), assignedAt: at(), assignedBy: null, accessRequestId: null });
    await elevate(other.id, 'admin');
    await elevate(defaultTenant.id, 'operator');
    for (const [now, acting, inDefault] of [[at(59), 'admin', 'operator'], [at(60), 'viewer', 'viewer'], [at(61), 'viewer', 'viewer']] as const) {
      const facts = await load({ tenant: other.slug, now });
      expect(facts?.acting?.role?.id, now).toBe(acting);
      expect(facts?.roleInDefault?.id, now).toBe(inDefault);
    }
    await fixture.store.assignments.set({ userId: user.id, tenantId: defaultTenant.id, roleId: 'viewer', assignedAt: at(2), assignedBy: null });
  });

  it('reads a deleted owner as none, and a suspended one as they are', async () => {
    const { store } = fixture;
    const other = await addMember(store, home.id, 'viewer', { status: 'suspended' });
    const secret = `sph_${newId()}`;
    await store.tokens.create({ id: newId(), userId: other.id, name: 't', tokenHash: hashSecret(secret), prefix: 'sph_', createdAt: at(), expiresAt: null, lastUsedAt: null, revokedAt: at(1) });
    const facts = await load({ hash: hashSecret(secret) });
    expect(facts?.user?.status).toBe('suspended');
    expect(facts?.token?.revokedAt).toBe(at(1));
  });
});

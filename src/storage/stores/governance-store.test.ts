import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessReviewDecisionRecord, AccessReviewRecord } from '../../domain/access/governance-store.ts';
import { newId } from '../../domain/ids.ts';
import type { Role } from '../../domain/roles/role.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** The reads of explain and access review, and review records: every one scoped to its tenant. */
describe.each(engines)('governance store on %s', (engine) => {
  let fixture: StoreFixture;
  let acme: Tenant;
  let globex: Tenant;
  const store = () => fixture.store;

  const customRole = async (tenantId: string | null, name = `role-${newId().slice(-6)}`): Promise<Role> => {
    const role: Role = { id: newId(), name, description: '', tenantId, builtIn: false, permissions: ['ViewUsers'], createdAt: at(), updatedAt: at() };
    await store().roles.create(role);
    return role;
  };

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    await addBuiltInRoles(fixture.store);
    acme = await addTenant(fixture.store, 'acme');
    globex = await addTenant(fixture.store, 'globex');
  });
  afterAll(() => fixture.close());

  it("reads a user's assignments with tenant slug, role and assigner", async () => {
    const assigner = await addMember(store(), acme.id, 'admin');
    const user = await addMember(store(), acme.id, 'viewer');
    await store().assignments.set({ userId: user.id, tenantId: globex.id, roleId: 'operator', assignedAt: at(5), assignedBy: assigner.id });
    const facts = await store().governance.listAssignmentsOfUser(user.id, at(10));
    expect(facts.map((fact) => [fact.tenantSlug, fact.role.name, fact.assignedBy?.email ?? null])).toEqual([
      ['acme', 'Viewer', null],
      ['globex', 'Operator', assigner.email],
    ]);
    expect(facts[1]!.assignedAt).toBe(at(5));
  });

  it('lists the roles visible in the given tenants only', async () => {
    const ofAcme = await customRole(acme.id);
    const ofGlobex = await customRole(globex.id);
    const global = await customRole(null);
    const ids = (await store().governance.listRolesVisibleIn([acme.id])).map((role) => role.id);
    expect(ids).toEqual(expect.arrayContaining(['admin', 'operator', 'viewer', ofAcme.id, global.id]));
    expect(ids).not.toContain(ofGlobex.id);
  });

  it("reads active holders of roles in one tenant with their roles there and elsewhere, never another tenant's", async () => {
    const tenant = await addTenant(store());
    const holder = await addMember(store(), tenant.id, 'admin');
    await store().assignments.set({ userId: holder.id, tenantId: globex.id, roleId: 'viewer', assignedAt: at(), assignedBy: null });
    await addMember(store(), tenant.id, 'admin', { status: 'suspended' });
    await addMember(store(), tenant.id, 'viewer');
    await addMember(store(), globex.id, 'admin');
    const found = await store().governance.listHoldersWithRoles(tenant.id, ['admin'], [globex.id], at(10));
    expect(found.map((fact) => [fact.user.id, fact.tenantId, fact.roleId]).sort()).toEqual(
      [
        [holder.id, tenant.id, 'admin'],
        [holder.id, globex.id, 'viewer'],
      ].sort(),
    );
  });

  it('reads the newest role.assigned event per tenant, in the tenants asked about only', async () => {
    const user = await addMember(store(), acme.id);
    const event = (tenantId: string, minutes: number, role: string) =>
      store().audit.append({
        id: newId(),
        occurredAt: at(minutes),
        tenantId,
        actorId: null,
        actorEmail: `actor-${minutes}@example.test`,
        category: 'rbac',
        action: 'role.assigned',
        outcome: 'success',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: null, after: { role } },
        detail: null,
        ip: null,
        userAgent: null,
      });
    await event(acme.id, 1, 'Viewer');
    await event(acme.id, 2, 'Operator');
    await event(globex.id, 3, 'Admin');
    const found = await store().governance.latestRoleAssignedEvents(user.id, [acme.id]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ tenantId: acme.id, occurredAt: at(2), actorEmail: 'actor-2@example.test', roleName: 'Operator' });
  });

  it("reads a tenant's review members, tokens and unheld roles, not another tenant's", async () => {
    const tenant = await addTenant(store());
    const stale = await addMember(store(), tenant.id, 'viewer', { lastLoginAt: at(1) });
    const fresh = await addMember(store(), tenant.id, 'viewer', { lastLoginAt: at(100) });
    const freshNever = await addMember(store(), tenant.id, 'viewer', { createdAt: at(100) });
    const admin = await addMember(store(), tenant.id, 'admin', { lastLoginAt: at(100) });
    await addMember(store(), globex.id, 'viewer', { lastLoginAt: at(1) });
    const members = await store().governance.listReviewMembers(tenant.id, { signedInBefore: at(50), adminRoleId: 'admin', limit: 100, now: at(10) });
    expect(members.map((member) => member.user.id).sort()).toEqual([stale.id, admin.id].sort());
    expect(members.find((member) => member.user.id === admin.id)).toMatchObject({ role: { id: 'admin', builtIn: true }, twoFactorEnabled: false });
    expect(members.map((member) => member.user.id)).not.toContain(fresh.id);
    expect(members.map((member) => member.user.id)).not.toContain(freshNever.id);

    const token = (userId: string, changes: Partial<{ expiresAt: string | null; lastUsedAt: string | null; revokedAt: string | null }>) => {
      const made = { id: newId(), userId, name: `t ${newId()}`, tokenHash: newId(), prefix: 'sph_x', createdAt: at(), expiresAt: at(10_000), lastUsedAt: at(100), revokedAt: null, ...changes };
      return store().tokens.create(made).then(() => made);
    };
    const unused = await token(stale.id, { lastUsedAt: at(1) });
    const forever = await token(stale.id, { expiresAt: null });
    await token(stale.id, {});
    await token(stale.id, { lastUsedAt: null, revokedAt: at(2) });
    await token(stale.id, { lastUsedAt: null, expiresAt: at(60) });
    const tokens = await store().governance.listReviewTokens(tenant.id, { now: at(70), usedBefore: at(50), limit: 100 });
    expect(tokens.map((entry) => entry.id).sort()).toEqual([unused.id, forever.id].sort());
    expect(tokens[0]!.owner.email).toBe(stale.email);
    expect(await store().governance.listReviewTokens(globex.id, { now: at(70), usedBefore: at(50), limit: 100 })).toEqual([]);

    const unheld = await customRole(tenant.id, 'unheld');
    const held = await customRole(tenant.id, 'held');
    await store().assignments.set({ userId: stale.id, tenantId: tenant.id, roleId: held.id, assignedAt: at(), assignedBy: null });
    const unheldGlobal = await customRole(null, `unheld-global-${newId().slice(-6)}`);
    expect((await store().governance.listUnheldCustomRoles(tenant.id, false, at(10))).map((role) => role.id)).toEqual([unheld.id]);
    expect((await store().governance.listUnheldCustomRoles(tenant.id, true, at(10))).map((role) => role.id)).toContain(unheldGlobal.id);
    // Held only through an elevation: held while it lasts, unheld once it ended.
    await store().assignments.setElevation({ userId: stale.id, tenantId: tenant.id, roleId: unheld.id, endsAt: at(20), assignedAt: at(), assignedBy: null, accessRequestId: null });
    expect((await store().governance.listUnheldCustomRoles(tenant.id, false, at(19))).map((role) => role.id)).toEqual([]);
    expect((await store().governance.listUnheldCustomRoles(tenant.id, false, at(20))).map((role) => role.id)).toEqual([unheld.id]);
  });

  it('keeps a review with its decisions, completes it, and shows it only in its tenant', async () => {
    const tenant = await addTenant(store());
    const review: AccessReviewRecord = {
      id: newId(),
      tenantId: tenant.id,
      reviewerId: newId(),
      reviewerEmail: 'reviewer@example.test',
      stale: '90d',
      staleBefore: at(),
      note: 'Q4',
      truncated: false,
      createdAt: at(1),
      completedAt: null,
    };
    const decision = (position: number, changes: Partial<AccessReviewDecisionRecord>): AccessReviewDecisionRecord => ({
      reviewId: review.id,
      position,
      findingKind: 'user_not_signed_in',
      subject: { type: 'user', id: newId(), email: 'someone@example.test', name: 'Someone' },
      detail: 'Last signed in long ago.',
      decision: 'keep',
      outcome: 'kept',
      error: null,
      ...changes,
    });
    const decisions = [decision(0, {}), decision(1, { decision: 'suspend', outcome: 'pending' }), decision(2, { decision: 'remove_role', outcome: 'pending' })];
    await store().governance.createReview(review, decisions);
    await store().governance.completeReview(
      review.id,
      [
        { position: 1, outcome: 'applied', error: null },
        { position: 2, outcome: 'refused', error: { code: 'HOME_TENANT_MEMBERSHIP', message: 'no' } },
      ],
      at(2),
    );
    const found = await store().governance.getReview(tenant.id, review.id);
    expect(found?.review).toEqual({ ...review, completedAt: at(2) });
    expect(found?.decisions.map((entry) => [entry.position, entry.outcome, entry.error?.code ?? null])).toEqual([
      [0, 'kept', null],
      [1, 'applied', null],
      [2, 'refused', 'HOME_TENANT_MEMBERSHIP'],
    ]);
    expect(found?.decisions[0]).toEqual(decisions[0]);
    expect(await store().governance.getReview(globex.id, review.id)).toBeUndefined();
    const [summary] = await store().governance.listReviews(tenant.id, { limit: 10 });
    expect(summary).toMatchObject({ id: review.id, findings: 3, applied: 1, refused: 1 });
    expect(await store().governance.listReviews(globex.id, { limit: 10 })).toEqual([]);
    expect((await store().governance.listDecisionsOfTenant(tenant.id)).map((row) => [row.review.id, row.decision.position])).toEqual([
      [review.id, 0],
      [review.id, 1],
      [review.id, 2],
    ]);
  });

  it('keeps a review with no findings, listed with zero counts', async () => {
    const tenant = await addTenant(store());
    const review: AccessReviewRecord = { id: newId(), tenantId: tenant.id, reviewerId: newId(), reviewerEmail: 'r@example.test', stale: '1d', staleBefore: at(), note: null, truncated: false, createdAt: at(), completedAt: at() };
    await store().governance.createReview(review, []);
    expect((await store().governance.getReview(tenant.id, review.id))?.decisions).toEqual([]);
    expect((await store().governance.listReviews(tenant.id, { limit: 10 }))[0]).toMatchObject({ findings: 0, applied: 0, refused: 0 });
  });
});

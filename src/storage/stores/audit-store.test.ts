import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../domain/audit/audit-event.ts';
import { newId } from '../../domain/ids.ts';
import { at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

describe.each(engines)('audit store on %s', (engine) => {
  let fixture: StoreFixture;
  const tenant = newId();
  const otherTenant = newId();
  const alice = newId();
  const bob = newId();
  const events: AuditEvent[] = [];

  const anEvent = (minutes: number, changes: Partial<AuditEvent> = {}): AuditEvent => ({
    id: newId(),
    occurredAt: at(minutes),
    tenantId: tenant,
    actorId: alice,
    actorEmail: 'alice@example.test',
    category: 'users',
    action: 'user.updated',
    outcome: 'success',
    subjectType: 'user',
    subjectId: bob,
    diff: { before: { displayName: 'Bob' }, after: { displayName: 'Robert' } },
    detail: { note: 'nested', list: [1, 2] },
    ip: '10.0.0.1',
    userAgent: 'curl/8',
    ...changes,
  });

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    events.push(
      anEvent(1),
      anEvent(2, { category: 'rbac', action: 'role.created', subjectType: 'role', subjectId: newId(), diff: { before: null, after: { name: 'x' } }, detail: null }),
      anEvent(3, { actorId: bob, actorEmail: 'bob@example.test', subjectId: null, subjectType: null, category: 'auth', action: 'login.succeeded', diff: null }),
      anEvent(4, { actorId: null, actorEmail: null, category: 'auth', action: 'login.failed', outcome: 'failure', subjectId: null, ip: null, userAgent: null }),
      anEvent(5, { category: 'authz', action: 'permission.denied', outcome: 'denied' }),
    );
    for (const event of events) await fixture.store.audit.append(event);
    await fixture.store.audit.append(anEvent(3, { tenantId: otherTenant }));
  });
  afterAll(() => fixture.close());

  const query = (filters: Partial<Parameters<StoreFixture['store']['audit']['query']>[0]> = {}) =>
    fixture.store.audit.query({ tenantId: tenant, limit: 100, ...filters });

  it('keeps every field, diffs and details included', async () => {
    expect(await query()).toEqual([...events].reverse());
  });

  it("returns only the tenant's own events, never another tenant's", async () => {
    expect((await fixture.store.audit.query({ tenantId: otherTenant, limit: 100 })).map((event) => event.tenantId)).toEqual([otherTenant]);
    expect((await query()).every((event) => event.tenantId === tenant)).toBe(true);
  });

  it('filters by user: events by them or about them', async () => {
    expect((await query({ userId: bob })).map((event) => event.occurredAt)).toEqual([at(5), at(3), at(1)]);
  });

  it('filters by category', async () => {
    expect((await query({ category: 'auth' })).map((event) => event.action)).toEqual(['login.failed', 'login.succeeded']);
  });

  it('filters by time, from since (inclusive) to until (exclusive)', async () => {
    expect((await query({ since: at(2), until: at(4) })).map((event) => event.occurredAt)).toEqual([at(3), at(2)]);
  });

  it('pages newest first, before a cursor', async () => {
    const first = await query({ limit: 2 });
    const second = await query({ limit: 2, before: first.at(-1)!.id });
    const third = await query({ limit: 2, before: second.at(-1)!.id });
    expect([...first, ...second, ...third].map((event) => event.id)).toEqual(events.map((event) => event.id).reverse());
  });
});

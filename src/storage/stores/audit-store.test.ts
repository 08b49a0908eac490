import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../domain/audit/audit-event.ts';
import { newId } from '../../domain/ids.ts';
import { MAX_TENANT_WALKS } from './audit-store.ts';
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
    // No tenant, user or role of these ids exists here: the names read as null.
    const unnamed = { tenantSlug: null, tenantName: null, actorName: null, subjectName: null, subjectEmail: null };
    expect(await query()).toEqual([...events].reverse().map((event) => ({ ...event, ...unnamed })));
  });

  it("returns only the tenant's own events, never another tenant's", async () => {
    expect((await fixture.store.audit.query({ tenantId: otherTenant, limit: 100 })).map((event) => event.tenantId)).toEqual([otherTenant]);
    expect((await query()).every((event) => event.tenantId === tenant)).toBe(true);
  });

  it('reads several tenants as one trail, newest first, and only those: merged walks, or one filtered walk past MAX_TENANT_WALKS', async () => {
    const ours = (await query()).map((event) => event.id);
    const both = (await fixture.store.audit.query({ tenantId: { anyOf: [tenant, otherTenant] }, limit: 100 })).map((event) => event.id);
    expect(both).toHaveLength(ours.length + 1);
    expect(both).toEqual([...both].sort().reverse());
    const strangers = Array.from({ length: MAX_TENANT_WALKS + 1 }, () => newId());
    for (const filters of [{}, { category: 'auth' as const }, { userId: bob }, { since: at(2) }]) {
      const many = await fixture.store.audit.query({ tenantId: { anyOf: [tenant, ...strangers] }, limit: 100, ...filters });
      expect(many.map((event) => event.id)).toEqual((await query(filters)).map((event) => event.id));
    }
    const every = (await fixture.store.audit.query({ tenantId: { everyTenant: true }, limit: 100 })).map((event) => event.id);
    expect(every).toEqual(expect.arrayContaining(both));
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

  describe('pages of a time window, and exports', () => {
    const shuffled = newId();
    const user = newId();
    const made: AuditEvent[] = [];
    beforeAll(async () => {
      // Times out of step with the ids (a clock set back, another node's clock) and ties at one instant.
      const minutes = [50, 10, 30, 30, 20, 30, 40, 10, 60, 25, 30, 5];
      for (const [index, minute] of minutes.entries()) {
        const event = anEvent(minute, { tenantId: shuffled, actorId: index % 2 ? user : null, subjectId: index % 3 ? null : user, category: index % 2 ? 'auth' : 'users' });
        made.push(event);
        await fixture.store.audit.append(event);
      }
    });
    const byTime = (a: AuditEvent, b: AuditEvent) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id);

    async function pages(filters: Partial<Parameters<typeof fixture.store.audit.query>[0]>, limit: number): Promise<string[]> {
      const ids: string[] = [];
      for (let cursor: string | undefined; ; ) {
        const page = await fixture.store.audit.query({ tenantId: shuffled, limit, ...filters, ...(cursor ? (filters.oldestFirst ? { after: cursor } : { before: cursor }) : {}) });
        ids.push(...page.map((event) => event.id));
        if (page.length < limit) return ids;
        cursor = page.at(-1)!.id;
      }
    }

    it.each([
      ['a window', { since: at(10), until: at(50) }],
      ['a window in a category', { since: at(10), category: 'auth' as const }],
      ['a window of a user', { until: at(45), userId: user }],
    ])('pages %s newest first in time order, each event once, whatever the page size', async (_label, filters) => {
      const inWindow = made.filter(
        (event) =>
          (!('since' in filters) || event.occurredAt >= filters.since!) &&
          (!('until' in filters) || event.occurredAt < filters.until!) &&
          (!('category' in filters) || event.category === filters.category) &&
          (!('userId' in filters) || event.actorId === user || event.subjectId === user),
      );
      expect(inWindow.length).toBeGreaterThan(3);
      const newestFirst = [...inWindow].sort(byTime).reverse().map((event) => event.id);
      for (const limit of [1, 2, 3, 100]) {
        expect(await pages(filters, limit), `limit ${limit}`).toEqual(newestFirst);
        expect(await pages({ ...filters, oldestFirst: true }, limit), `oldest first, limit ${limit}`).toEqual([...newestFirst].reverse());
      }
    });

    it('exports oldest first in id order without a window, up to an id', async () => {
      const upTo = made[8]!.id;
      expect(await pages({ oldestFirst: true, upTo }, 3)).toEqual(made.slice(0, 8).map((event) => event.id));
      expect(await pages({ oldestFirst: true, upTo, since: at(0) }, 3)).toEqual(made.slice(0, 8).sort(byTime).map((event) => event.id));
    });
  });
});

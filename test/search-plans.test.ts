import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../src/domain/users/user.ts';
import type { UserListQuery, UserStore } from '../src/domain/users/user-store.ts';
import { SEARCH_PLAN, sqlUserStore, type SearchPlan } from '../src/storage/stores/user-store.ts';
import { engines } from './support/harness.ts';
import { addBuiltInRoles, addMember, addTenant, openTestStore, type StoreFixture } from './support/store-fixture.ts';

/**
 * A search takes one of several plans by the tenant's size and the term's breadth (SEARCH_PLAN
 * in user-store.ts): walk a small tenant's members; in a larger one, go through the trigram
 * index for a rare term, or walk part of the tenant for a broad one and finish the page through
 * the index after the walk's end. Every plan must give the same pages: the tenant's members
 * whose email or display name contains the text in any case, in id order, each once, across
 * pages of any size. The thresholds are made small here so that a few dozen users take every
 * path; the model is JavaScript's toLowerCase and includes.
 */
describe.each(engines)('search plans on %s', (engine) => {
  let fixture: StoreFixture;
  let tenantId: string;
  const members: StoredUser[] = [];

  const plans: [string, SearchPlan][] = [
    ['the defaults (a small tenant: the walk)', SEARCH_PLAN],
    ['a large tenant, a broad term: a short walk, then the index', { SMALL_TENANT: 5, RARE_TERM: 3, BROAD_WALK: 4 }],
    ['a large tenant, a broad term: a walk longer than the tenant', { SMALL_TENANT: 5, RARE_TERM: 3, BROAD_WALK: 1_000 }],
    ['a large tenant, every term rare: the index', { SMALL_TENANT: 5, RARE_TERM: 10_000, BROAD_WALK: 4 }],
  ];

  const searches = ['garcia', 'GARC', 'arcí', 'quincy', 'öster', 'ÖST', 'zoë', 'say "h', '.garcia', 'example', 'nobody', 'ci', 'e', '%'];

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    await addBuiltInRoles(fixture.store);
    const tenant = await addTenant(fixture.store);
    tenantId = tenant.id;
    const other = await addTenant(fixture.store);
    for (let n = 0; n < 36; n++) {
      const kind = n % 6;
      const [displayName, email] =
        kind === 0
          ? [`Ana Garcia ${n}`, `ana${n}.garcia@example.test`]
          : kind === 1
            ? [`ZOË ÖSTER ${n}`, `zoe${n}@example.test`]
            : kind === 2
              ? [`Say "Hi" ${n}`, `say${n}@example.test`]
              : kind === 3
                ? [`José GARCÍA ${n}`, `jose${n}@example.test`]
                : [`Filler ${n}`, `filler${n}%@example.test`];
      members.push(await addMember(fixture.store, tenantId, n % 2 ? 'viewer' : 'operator', { displayName: n === 35 ? 'Quincy Rare' : displayName, email }));
      // Another tenant's people, who match the same searches and must never be listed.
      await addMember(fixture.store, other.id, 'viewer', { displayName: `${displayName} (other)`, email: `other.${email}` });
    }
  });
  afterAll(() => fixture.close());

  const expected = (search: string) => {
    const text = search.trim().toLowerCase();
    return members
      .filter((user) => user.email.toLowerCase().includes(text) || user.displayName.toLowerCase().includes(text))
      .map((user) => user.id)
      .sort();
  };

  /** Every page of the search, `limit` at a time, following the cursor. */
  async function listAll(users: UserStore, search: string, limit: number, filters: Partial<UserListQuery> = {}): Promise<string[]> {
    const found: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await users.listMembers(tenantId, { ...filters, search, limit, after });
      expect(page.length).toBeLessThanOrEqual(limit);
      found.push(...page.map((member) => member.user.id));
      if (page.length < limit) return found;
      after = page.at(-1)!.user.id;
    }
    throw new Error('more than 100 pages');
  }

  describe.each(plans)('%s', (_label, plan) => {
    it.each(searches)('%j finds the same members on pages of 1, 2, 7 and 50', async (search) => {
      const users = sqlUserStore(fixture.db, engine, plan);
      const want = expected(search);
      for (const limit of [1, 2, 7, 50]) expect(await listAll(users, search, limit), `limit ${limit}`).toEqual(want);
    });

    it('an ascending creation order with its own cursor pages the same as id order', async () => {
      const users = sqlUserStore(fixture.db, engine, plan);
      const found: string[] = [];
      let last: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const order = { key: 'created' as const, descending: false, ...(last ? { after: { value: last, id: last } } : {}) };
        const page = await users.listMembers(tenantId, { search: 'example', limit: 3, order });
        found.push(...page.map((member) => member.user.id));
        if (page.length < 3) break;
        last = page.at(-1)!.user.id;
      }
      expect(found).toEqual(expected('example'));
    });

    it('a search with a role filter lists only the role’s matching members', async () => {
      const users = sqlUserStore(fixture.db, engine, plan);
      const operators = new Set(members.filter((_, n) => n % 2 === 0).map((user) => user.id));
      expect(await listAll(users, 'garcia', 2, { roleId: 'operator' })).toEqual(expected('garcia').filter((id) => operators.has(id)));
    });
  });

  it('the model finds what the searches are meant to find', () => {
    // Each kind of match is there to be found: the plans above would agree on empty pages too.
    expect(expected('garcia')).toHaveLength(6);
    expect(expected('GARC')).toHaveLength(12);
    expect(expected('ÖST')).toHaveLength(6);
    expect(expected('quincy')).toHaveLength(1);
    expect(expected('say "h')).toHaveLength(6);
    expect(expected('%')).toHaveLength(12);
    expect(expected('nobody')).toEqual([]);
  });
});

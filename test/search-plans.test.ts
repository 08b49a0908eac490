import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/domain/ids.ts';
import type { StoredUser } from '../src/domain/users/user.ts';
import type { UserListQuery, UserStore } from '../src/domain/users/user-store.ts';
import { CUSTOM_PLAN } from '../src/storage/postgres-dialect.ts';
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

  it.runIf(engine === 'postgres')('sends the search through the trigram index unprepared, planned for its term (a generic plan took 10x longer at 1M users)', async () => {
    const sent: string[] = [];
    const stop = fixture.statements.listen((text) => sent.push(text));
    try {
      const users = sqlUserStore(fixture.db, engine, { SMALL_TENANT: 5, RARE_TERM: 10_000, BROAD_WALK: 4 });
      expect(await listAll(users, 'garcia', 50)).toEqual(expected('garcia'));
    } finally {
      stop();
    }
    const search = sent.filter((text) => text.includes('member_search'));
    expect(search.length).toBeGreaterThan(0);
    for (const text of search) expect(text).toContain(CUSTOM_PLAN);
  });

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

    it('newest first, the search pages as id order backwards', async () => {
      const users = sqlUserStore(fixture.db, engine, plan);
      const found: string[] = [];
      let last: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const order = { key: 'created' as const, descending: true, ...(last ? { after: { value: last, id: last } } : {}) };
        const page = await users.listMembers(tenantId, { search: 'garc', limit: 2, order });
        found.push(...page.map((member) => member.user.id));
        if (page.length < 2) break;
        last = page.at(-1)!.user.id;
      }
      expect(found).toEqual(expected('garc').reverse());
    });

    it('a search with a status filter pages through every matching member of that status', async () => {
      const users = sqlUserStore(fixture.db, engine, plan);
      expect(await listAll(users, 'example', 3, { status: 'active' })).toEqual(expected('example'));
      expect(await listAll(users, 'example', 3, { status: 'suspended' })).toEqual([]);
    });

    it('a search with a role filter lists only the role’s matching members', async () => {
      const users = sqlUserStore(fixture.db, engine, plan);
      const operators = new Set(members.filter((_, n) => n % 2 === 0).map((user) => user.id));
      expect(await listAll(users, 'garcia', 2, { roleId: 'operator' })).toEqual(expected('garcia').filter((id) => operators.has(id)));
    });
  });

  /**
   * The index of memberships (migration 016) follows every change of who is a member and of
   * their text: a membership added one at a time or many a statement (as the bulk import
   * writes them), removed, a user renamed or deleted, a tenant deleted. Every plan must still
   * give the model's pages.
   */
  it('follows memberships and renames, on every plan', async () => {
    const third = await addTenant(fixture.store);
    const pick = async (search: string, tenant = third.id) => {
      const pages = await Promise.all(plans.map(async ([, plan]) => (await sqlUserStore(fixture.db, engine, plan).listMembers(tenant, { search, limit: 50 })).map((member) => member.user.id)));
      for (const page of pages) expect(page).toEqual(pages[0]);
      return pages[0]!;
    };
    // Members of the first tenant join the third many a statement, as the import writes them.
    const joining = members.slice(0, 12);
    await fixture.store.importJobs.addAssignments(joining.map((user) => ({ userId: user.id, tenantId: third.id, roleId: 'viewer', assignedAt: members[0]!.createdAt, assignedBy: null })));
    // And new users, inserted many a statement with their memberships.
    const imported = Array.from({ length: 8 }, (_, n) => ({ ...members[0]!, id: newId(), email: `imported${n}@example.test`, displayName: `Imported Quokka ${n}` }));
    await fixture.store.importJobs.insertUsers(imported);
    await fixture.store.importJobs.addAssignments(imported.map((user) => ({ userId: user.id, tenantId: third.id, roleId: 'viewer', assignedAt: user.createdAt, assignedBy: null })));
    const inThird = (search: string, users: StoredUser[]) => users.filter((user) => user.email.includes(search) || user.displayName.toLowerCase().includes(search)).map((user) => user.id).sort();
    expect(await pick('garcia')).toEqual(inThird('garcia', joining));
    expect(await pick('quokka')).toEqual(imported.map((user) => user.id).sort());
    // The first tenant still finds them as before (their membership there is untouched).
    expect(await pick('garcia', tenantId)).toEqual(expected('garcia'));

    // A member leaves the third tenant: found there no more, still in the first.
    const leaving = joining[0]!;
    await fixture.store.assignments.remove(third.id, leaving.id);
    expect(await pick('garcia')).toEqual(inThird('garcia', joining.slice(1)));
    expect(await pick('garcia', tenantId)).toContain(leaving.id);

    // A rename: found by the new text in every tenant they belong to, not by the old.
    const renamed = imported[0]!;
    await fixture.store.users.update(renamed.id, { displayName: 'Wombat Prime', email: 'wombat@example.test' });
    expect(await pick('quokka')).toEqual(imported.slice(1).map((user) => user.id).sort());
    expect(await pick('wombat')).toEqual([renamed.id]);

    // A user deleted, and the whole tenant deleted: nothing of theirs is found.
    await fixture.store.users.delete(imported[1]!.id);
    expect(await pick('quokka')).toEqual(imported.slice(2).map((user) => user.id).sort());
    await fixture.store.tenants.delete(third.id);
    expect(await pick('quokka')).toEqual([]);
    expect(await pick('garcia', tenantId)).toEqual(expected('garcia'));
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

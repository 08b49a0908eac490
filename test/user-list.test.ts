import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/domain/ids.ts';
import type { Store } from '../src/domain/store.ts';
import type { StoredUser, UserStatus } from '../src/domain/users/user.ts';
import { engines, startTestServer, type TestServer } from './support/harness.ts';
import type { ApiClient } from './support/api-client.ts';

/**
 * GET /api/v1/users at scale's shape: every filter alone and with each other, paged by cursor,
 * and the search on both of its paths (a LIKE for one or two characters, the trigram index for
 * three or more), checked against a model of who is in the tenant. The people are written
 * through the store (2FA, SSO links and sign-in times without driving each flow); every
 * answer comes from the API.
 */

interface Person {
  id: string;
  email: string;
  displayName: string;
  role: string;
  status: UserStatus;
  twoFactor: boolean;
  sso: boolean;
  lastLoginAt: string | null;
  homeTenant: string;
}

type Filters = Record<string, string>;

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();

/** Who the model says a query returns: the tenant's members matching every filter, in id order. */
function expected(people: Person[], filters: Filters): string[] {
  const search = filters.search?.trim().toLowerCase();
  return people
    .filter((person) => {
      if (search && !person.email.toLowerCase().includes(search) && !person.displayName.toLowerCase().includes(search)) return false;
      if (filters.role && person.role.toLowerCase() !== filters.role.toLowerCase()) return false;
      if (filters.status && person.status !== filters.status) return false;
      if (filters.twoFactor && person.twoFactor !== (filters.twoFactor === 'enrolled')) return false;
      if (filters.sso && person.sso !== (filters.sso === 'linked')) return false;
      if (filters.lastSignInBefore && !(person.lastLoginAt && person.lastLoginAt < filters.lastSignInBefore)) return false;
      if (filters.lastSignInAfter && !(person.lastLoginAt && person.lastLoginAt >= filters.lastSignInAfter)) return false;
      if (filters.homeTenant && person.homeTenant !== filters.homeTenant) return false;
      return true;
    })
    .map((person) => person.id)
    .sort();
}

/** Every page of the query, `limit` at a time, following nextCursor; checks each page's size. */
async function listAll(client: ApiClient, filters: Filters, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor: string | undefined, pages = 0; ; pages++) {
    const query = new URLSearchParams({ ...filters, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const page = await client.get(`/api/v1/users?${query}`);
    expect(page.status, `${query} → ${JSON.stringify(page.body)}`).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.body.items.map((user: { id: string }) => user.id));
    if (!page.body.nextCursor) return ids;
    expect(page.body.items).toHaveLength(limit);
    expect(pages).toBeLessThan(100);
    cursor = page.body.nextCursor;
  }
}

describe.each(engines)('the users list on %s', (engine) => {
  let test: TestServer;
  let store: Store;
  let client: ApiClient;
  let auditorRoleId: string;
  const people: Person[] = [];
  const byName = (displayName: string) => people.find((person) => person.displayName === displayName)!;

  async function addPerson(
    tenantId: string,
    input: { displayName: string; email: string; roleId?: string; role?: string; status?: UserStatus; lastLoginAt?: string; twoFactor?: 'enabled' | 'pending'; sso?: boolean; home?: { id: string; slug: string } },
  ): Promise<StoredUser> {
    const user: StoredUser = {
      id: newId(),
      email: input.email,
      displayName: input.displayName,
      homeTenantId: input.home?.id ?? tenantId,
      status: input.status ?? 'active',
      mustChangePassword: false,
      passwordHash: '$argon2id$not-a-real-hash',
      passwordExpiresAt: null,
      createdAt: day(0),
      updatedAt: day(0),
      lastLoginAt: input.lastLoginAt ?? null,
      lastLoginIp: null,
      lastLoginUserAgent: null,
    };
    await store.users.create(user);
    if (input.home) await store.assignments.set({ userId: user.id, tenantId: input.home.id, roleId: 'viewer', assignedAt: day(0), assignedBy: null });
    await store.assignments.set({ userId: user.id, tenantId, roleId: input.roleId ?? 'viewer', assignedAt: day(0), assignedBy: null });
    if (input.twoFactor) {
      await store.twoFactor.savePending({ userId: user.id, status: 'pending', secretCiphertext: 'sealed', secretKeyId: 'key', createdAt: day(0), enabledAt: null, lastUsedStep: null });
      if (input.twoFactor === 'enabled') await store.twoFactor.enable(user.id, day(1), 0);
    }
    if (input.sso) await store.externalIdentities.create({ issuer: 'https://idp.example.test', subject: user.id, userId: user.id, createdAt: day(0), lastLoginAt: null });
    return user;
  }

  beforeAll(async () => {
    test = await startTestServer(engine);
    store = test.server.services.context.store;
    for (const slug of ['lists', 'other']) expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    client = test.admin.inTenant('lists');
    const auditor = await client.post('/api/v1/roles', { name: 'Auditor', permissions: ['ViewAuditLogs'] });
    expect(auditor.status).toBe(201);
    auditorRoleId = auditor.body.id;
    const lists = (await store.tenants.getBySlug('lists'))!;
    const other = (await store.tenants.getBySlug('other'))!;

    // The tenant's creator is a member (Admin) too.
    const admin = (await store.users.getByEmail('admin@sophon.local'))!;
    people.push({ id: admin.id, email: admin.email, displayName: admin.displayName, role: 'Admin', status: admin.status, twoFactor: false, sso: false, lastLoginAt: admin.lastLoginAt, homeTenant: 'default' });

    const add = async (input: Parameters<typeof addPerson>[1] & { role?: string }) => {
      const user = await addPerson(lists.id, input);
      people.push({
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        role: input.role ?? (input.roleId === 'operator' ? 'Operator' : input.roleId === auditorRoleId ? 'Auditor' : 'Viewer'),
        status: user.status,
        twoFactor: input.twoFactor === 'enabled',
        sso: input.sso === true,
        lastLoginAt: user.lastLoginAt,
        homeTenant: input.home?.slug ?? 'lists',
      });
    };
    await add({ displayName: 'Zoë Ångström', email: 'zoe.angstrom@example.test', twoFactor: 'enabled', lastLoginAt: day(60) });
    await add({ displayName: 'ZOË UPPER', email: 'ZOE.Upper@Example.TEST', roleId: 'operator', sso: true, lastLoginAt: day(150) });
    await add({ displayName: 'Percent 100%', email: 'pct@example.test' });
    await add({ displayName: 'Under_Score', email: 'under_score@example.test', lastLoginAt: day(10) });
    await add({ displayName: 'Back\\Slash', email: 'backslash@example.test', twoFactor: 'enabled' });
    await add({ displayName: `Quote "Dbl" O'Neil`, email: "o'neil@example.test", sso: true });
    await add({ displayName: 'Bob Baker', email: 'bob.baker@example.test', roleId: 'operator', status: 'suspended', sso: true, twoFactor: 'pending', lastLoginAt: day(31) });
    await add({ displayName: 'Guest From Other', email: 'guest@other.test', roleId: auditorRoleId, home: other, lastLoginAt: day(90) });
    for (let n = 1; n <= 12; n++) {
      await add({
        displayName: `Filler ${String(n).padStart(2, '0')}`,
        email: `filler${String(n).padStart(2, '0')}@example.test`,
        roleId: n % 2 ? 'viewer' : 'operator',
        status: n % 5 === 0 ? 'suspended' : 'active',
        twoFactor: n % 3 === 0 ? 'enabled' : undefined,
        sso: n % 4 === 0,
        lastLoginAt: n % 3 === 1 ? undefined : day(n * 20),
      });
    }
    // Another tenant's people, who match the same searches and filters and must never be listed.
    for (const [displayName, email] of [
      ['Zoë Other', 'zoe.other@other.test'],
      ['Percent 100% Other', 'pct.other@other.test'],
      ['Under_Score Other', 'under_score.other@other.test'],
      ['Filler Other', 'filler.other@example.test'],
    ] as const) {
      await addPerson(other.id, { displayName, email, twoFactor: 'enabled', sso: true, lastLoginAt: day(100) });
    }
  });
  afterAll(() => test.close());

  it('lists every member of the tenant, and no one of another tenant, page after page', async () => {
    const all = expected(people, {});
    expect(all).toHaveLength(21);
    for (const limit of [1, 2, 7, 50]) expect(await listAll(client, {}, limit)).toEqual(all);
  });

  it("shows each member's role in the tenant and their home tenant", async () => {
    const page = await client.get('/api/v1/users?limit=50');
    const guest = page.body.items.find((user: { id: string }) => user.id === byName('Guest From Other').id);
    expect(guest).toMatchObject({ role: 'Auditor', homeTenant: 'other', email: 'guest@other.test' });
    expect(page.body.items.find((user: { id: string }) => user.id === byName('Bob Baker').id)).toMatchObject({ role: 'Operator', homeTenant: 'lists', status: 'suspended' });
  });

  it("shows each member's 2FA and SSO status, as the filters see it (a pending enrolment is not enrolled)", async () => {
    const page = await client.get('/api/v1/users?limit=50');
    const shown = Object.fromEntries(page.body.items.map((user: { id: string; twoFactorEnabled: boolean; ssoLinked: boolean }) => [user.id, [user.twoFactorEnabled, user.ssoLinked]]));
    expect(shown).toEqual(Object.fromEntries(people.map((person) => [person.id, [person.twoFactor, person.sso]])));
    expect(shown[byName('Bob Baker').id]).toEqual([false, true]);
  });

  describe('each filter alone', () => {
    const cases: [string, Filters, number][] = [
      ['a role by name', { role: 'Operator' }, 8],
      ['a role by name in another case', { role: 'oPeRaToR' }, 8],
      ['a custom role', { role: 'Auditor' }, 1],
      ['suspended users', { status: 'suspended' }, 3],
      ['active users', { status: 'active' }, 18],
      ['two-factor enrolled (a pending enrolment is not)', { twoFactor: 'enrolled' }, 6],
      ['not two-factor enrolled', { twoFactor: 'not_enrolled' }, 15],
      ['SSO-linked', { sso: 'linked' }, 6],
      ['not SSO-linked', { sso: 'not_linked' }, 15],
      ['signed in last before an instant (never signed in: not listed)', { lastSignInBefore: day(100) }, 6],
      ['signed in last at or after an instant', { lastSignInAfter: day(150) }, 6],
      ['homed in a tenant', { homeTenant: 'other' }, 1],
      ['homed in this tenant', { homeTenant: 'lists' }, 19],
    ];
    it.each(cases)('%s', async (_label, filters, count) => {
      const want = expected(people, filters);
      expect(want).toHaveLength(count);
      expect(await listAll(client, filters, 2)).toEqual(want);
      expect(await listAll(client, filters, 50)).toEqual(want);
    });

    it('takes a role by id', async () => {
      expect(await listAll(client, { role: auditorRoleId }, 2)).toEqual([byName('Guest From Other').id]);
    });

    it('counts a time with an offset as the instant it names', async () => {
      const before = '2026-03-02T01:00:00+01:00'; // 2026-03-02T00:00:00Z = day(60)
      expect(await listAll(client, { lastSignInAfter: before }, 3)).toEqual(expected(people, { lastSignInAfter: day(60) }));
      expect(expected(people, { lastSignInAfter: day(60) })).toContain(byName('Zoë Ångström').id);
    });
  });

  it('combines every pair of filters, page by page', async () => {
    const samples: Filters[] = [
      { role: 'operator' },
      { role: 'Viewer' },
      { status: 'active' },
      { status: 'suspended' },
      { twoFactor: 'enrolled' },
      { twoFactor: 'not_enrolled' },
      { sso: 'linked' },
      { sso: 'not_linked' },
      { lastSignInBefore: day(150) },
      { lastSignInAfter: day(40) },
      { homeTenant: 'lists' },
      { search: 'filler' },
      { search: '1' },
    ];
    let nonEmpty = 0;
    for (const [index, first] of samples.entries()) {
      for (const second of samples.slice(index + 1)) {
        const key = Object.keys(second)[0]!;
        if (key in first) continue;
        const filters = { ...first, ...second };
        const want = expected(people, filters);
        if (want.length > 0) nonEmpty++;
        expect(await listAll(client, filters, 3), JSON.stringify(filters)).toEqual(want);
      }
    }
    expect(nonEmpty).toBeGreaterThan(40);
  });

  it('combines all the filters at once', async () => {
    const filters = { role: 'Operator', status: 'active', twoFactor: 'not_enrolled', sso: 'linked', lastSignInAfter: day(100), lastSignInBefore: day(200), homeTenant: 'lists', search: 'e' };
    const want = expected(people, filters);
    expect(want).toEqual([byName('ZOË UPPER').id, byName('Filler 08').id].sort());
    expect(await listAll(client, filters, 1)).toEqual(want);
  });

  describe('search', () => {
    /** The names found, or 'model': whoever the model says (too many to list). */
    const searches: [string, string, string[] | 'model'][] = [
      // One or two characters: a LIKE over the tenant's walk.
      ['one letter', 'z', ['Zoë Ångström', 'ZOË UPPER']],
      ['one letter in upper case', 'Z', ['Zoë Ångström', 'ZOË UPPER']],
      ['one non-ASCII letter in lower case', 'ë', ['Zoë Ångström', 'ZOË UPPER']],
      ['one non-ASCII letter in upper case', 'Ë', ['Zoë Ångström', 'ZOË UPPER']],
      ['two non-ASCII letters', 'ÅN', ['Zoë Ångström']],
      ['a percent sign', '%', ['Percent 100%']],
      ['an underscore', '_', ['Under_Score']],
      ['a backslash', '\\', ['Back\\Slash']],
      ['a double quote', '"', [`Quote "Dbl" O'Neil`]],
      ['an apostrophe', "'", [`Quote "Dbl" O'Neil`]],
      ['two characters, one a percent sign', '0%', ['Percent 100%']],
      ['two characters, one an underscore', 'r_', ['Under_Score']],
      ['two characters, one a backslash', 'k\\', ['Back\\Slash']],
      ['an email prefix of two characters', 'pc', ['Percent 100%']],
      // Three or more: the trigram index.
      ['a name prefix', 'zoë', ['Zoë Ångström', 'ZOË UPPER']],
      ['a name prefix in upper case', 'ZOË', ['Zoë Ångström', 'ZOË UPPER']],
      ['a non-ASCII substring', 'ngström', ['Zoë Ångström']],
      ['a non-ASCII substring in upper case', 'ÅNGSTRÖM', ['Zoë Ångström']],
      ['a substring across a space', 'ler 0', ['Filler 01', 'Filler 02', 'Filler 03', 'Filler 04', 'Filler 05', 'Filler 06', 'Filler 07', 'Filler 08', 'Filler 09']],
      ['an email prefix', 'ZOE.', ['Zoë Ångström', 'ZOË UPPER']],
      ['an email substring', 'baker@', ['Bob Baker']],
      ['an email substring in another case', 'EXAMPLE.TEST', 'model'],
      ['a percent sign among three', '00%', ['Percent 100%']],
      ['an underscore among three', 'r_s', ['Under_Score']],
      ['a backslash among three', 'k\\s', ['Back\\Slash']],
      ['double quotes', '"dbl"', [`Quote "Dbl" O'Neil`]],
      ['an apostrophe among letters', "o'neil", [`Quote "Dbl" O'Neil`]],
      ['three wildcards', '%_%', []],
      ['text nobody has', 'nobody at all', []],
      ['surrounding spaces, which are dropped', '  bob  ', ['Bob Baker']],
    ];
    it.each(searches)('by %s (%j)', async (_label, search, names) => {
      const want = names === 'model' ? expected(people, { search }) : names.map((name) => byName(name).id).sort();
      if (names === 'model') expect(want.length).toBeGreaterThan(15);
      expect(expected(people, { search })).toEqual(want);
      expect(await listAll(client, { search }, 2)).toEqual(want);
      expect(await listAll(client, { search }, 50)).toEqual(want);
    });

    it('finds a renamed user by the new name and email only, on both paths', async () => {
      const person = byName('Filler 11');
      const renamed = await client.patch(`/api/v1/users/${person.id}`, { displayName: 'Quincy Jönsson', email: 'quincy.jonsson@example.test' });
      expect(renamed.status).toBe(200);
      Object.assign(person, { displayName: 'Quincy Jönsson', email: 'quincy.jonsson@example.test' });
      for (const search of ['Quincy', 'jönsson', 'ÖN', 'cy', 'quincy.jon']) expect(await listAll(client, { search }, 2), search).toEqual([person.id]);
      for (const search of ['Filler 11', 'filler11@', 'r 11']) expect(await listAll(client, { search }, 2), search).toEqual([]);
      expect(await listAll(client, { search: 'Filler 1' }, 2)).toEqual(expected(people, { search: 'Filler 1' }));
      expect(expected(people, { search: 'Filler 1' })).toHaveLength(2);
    });

    it('no longer finds a deleted user, on either path', async () => {
      const person = byName('Filler 12');
      expect(await listAll(client, { search: 'filler12' }, 2)).toEqual([person.id]);
      expect((await client.delete(`/api/v1/users/${person.id}`)).status).toBe(200);
      people.splice(people.indexOf(person), 1);
      for (const search of ['filler12', 'Filler 12', '12']) expect(await listAll(client, { search }, 2), search).toEqual(expected(people, { search }));
      expect(expected(people, { search: 'filler12' })).toEqual([]);
      // The others are still found.
      expect(await listAll(client, { search: 'filler' }, 5)).toEqual(expected(people, { search: 'filler' }));
    });

    it("never lists another tenant's user, even when only they match", async () => {
      for (const search of ['other', 'Zoë Other', 'pct.other', 'ot']) {
        const found = await listAll(client, { search }, 50);
        expect(found, search).toEqual(expected(people, { search }));
        expect(found.every((id) => people.some((person) => person.id === id))).toBe(true);
      }
      expect(await listAll(client, { search: 'Zoë Other' }, 50)).toEqual([]);
      // And from the other tenant, this tenant's people don't appear.
      const fromOther = await listAll(test.admin.inTenant('other'), { search: 'Ångström' }, 50);
      expect(fromOther).toEqual([]);
    });
  });

  describe('bad filter values', () => {
    const cases: [string, string][] = [
      ['role=No%20Such%20Role', 'role'],
      ['role=', 'role'],
      ['status=deleted', 'status'],
      ['twoFactor=yes', 'twoFactor'],
      ['sso=maybe', 'sso'],
      ['lastSignInBefore=yesterday', 'lastSignInBefore'],
      ['lastSignInAfter=2026-13-01T00:00:00Z', 'lastSignInAfter'],
      [`lastSignInAfter=${day(10)}&lastSignInBefore=${day(5)}`, 'lastSignInAfter'],
      ['homeTenant=', 'homeTenant'],
      [`search=${'x'.repeat(201)}`, 'search'],
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
    ];
    it.each(cases)('%s → 400 naming %s', async (query, field) => {
      const answer = await client.get(`/api/v1/users?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(answer.body.error.problems.map((problem: { field: string }) => problem.field)).toContain(field);
      expect(answer.body.error.message).toContain(field);
    });

    it("refuses a role of another tenant as unknown here", async () => {
      const foreign = await test.admin.inTenant('other').post('/api/v1/roles', { name: 'Other Only', permissions: ['ViewUsers'] });
      expect(foreign.status).toBe(201);
      for (const role of ['Other Only', foreign.body.id]) {
        const answer = await client.get(`/api/v1/users?role=${encodeURIComponent(role)}`);
        expect(answer.status).toBe(400);
        expect(answer.body.error.problems[0].field).toBe('role');
      }
    });

    it('answers an empty page for a home tenant nobody here is homed in', async () => {
      expect(await listAll(client, { homeTenant: 'no-such-tenant' }, 5)).toEqual([]);
    });
  });
});

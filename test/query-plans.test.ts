import { CompiledQuery, sql, type Compilable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditQuery } from '../src/domain/audit/audit-event.ts';
import { newId } from '../src/domain/ids.ts';
import type { UserListQuery } from '../src/domain/users/user-store.ts';
import { auditPageQuery } from '../src/storage/stores/audit-store.ts';
import { memberPageQuery } from '../src/storage/stores/user-store.ts';
import { engines } from './support/harness.ts';
import { addBuiltInRoles, addMember, addTenant, at, openTestStore, type StoreFixture } from './support/store-fixture.ts';

/**
 * The statements the stores send for a filtered page of the audit trail and of a tenant's
 * users, and for a search, planned by the engine itself: none reads a whole table.
 *
 * - SQLite (EXPLAIN QUERY PLAN): audit_events and the users' tables are only SEARCHed through
 *   an index, never SCANned (a SCAN, even "USING INDEX", walks all of it); the FTS5 table is
 *   read through its own index (a "VIRTUAL TABLE INDEX" lookup). A page of the trail is
 *   handed out in index order: no temporary B-tree sorts it.
 * - PostgreSQL (EXPLAIN with sequential scans disabled, so that a tiny test table doesn't make
 *   a scan the cheaper plan): no Seq Scan is left, that is, an index serves every table.
 */
describe.each(engines)('query plans on %s', (engine) => {
  let fixture: StoreFixture;
  let tenantId: string;
  let userId: string;
  let otherTenantId: string;
  const categories = ['auth', 'rbac', 'users'] as const;

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    await addBuiltInRoles(fixture.store);
    const tenant = await addTenant(fixture.store);
    tenantId = tenant.id;
    for (let n = 0; n < 30; n++) userId = (await addMember(fixture.store, tenantId, n % 2 ? 'viewer' : 'operator', { displayName: `Planned ${n}`, lastLoginAt: n % 3 ? at(n) : null })).id;
    const other = await addTenant(fixture.store);
    otherTenantId = other.id;
    for (let n = 0; n < 10; n++) await addMember(fixture.store, other.id);
    for (let n = 0; n < 200; n++) {
      await fixture.store.audit.append({
        id: newId(),
        occurredAt: at(n),
        tenantId: n % 4 ? tenantId : other.id,
        actorId: n % 5 ? userId : null,
        actorEmail: null,
        category: categories[n % 3]!,
        action: 'planned',
        outcome: 'success',
        subjectType: 'user',
        subjectId: n % 7 ? null : userId,
        diff: null,
        detail: null,
        ip: null,
        userAgent: null,
      });
    }
    // No ANALYZE on SQLite: statistics of a few rows would make scanning a two-row table the
    // cheaper plan; without them the planner assumes tables of production size.
    if (engine === 'postgres') await sql`analyze`.execute(fixture.db);
  });
  afterAll(() => fixture.close());

  /** The engine's plan of the statement, one line per step. */
  async function planOf(query: Compilable): Promise<string[]> {
    const compiled = query.compile();
    if (engine === 'sqlite') {
      const result = await fixture.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
      return result.rows.map((row) => row.detail);
    }
    return fixture.db.transaction().execute(async (transaction) => {
      await sql`set local enable_seqscan = off`.execute(transaction);
      const result = await transaction.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
      return result.rows.map((row) => row['QUERY PLAN']);
    });
  }

  /** SQLite: the steps of the statement itself, without those of its subqueries. */
  async function topLevelPlanOf(query: Compilable): Promise<string[]> {
    const compiled = query.compile();
    const result = await fixture.db.executeQuery<{ parent: number; detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return result.rows.filter((row) => Number(row.parent) === 0).map((row) => row.detail);
  }

  function expectIndexedOnly(plan: string[], tables: string[]) {
    const text = plan.join('\n');
    if (engine === 'sqlite') {
      for (const table of tables) expect(text, text).not.toMatch(new RegExp(`\\bSCAN ${table}\\b(?! VIRTUAL TABLE INDEX)`));
      expect(text, text).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/);
    } else {
      expect(text, text).not.toMatch(/Seq Scan/);
      expect(text, text).toMatch(/Index|Bitmap/);
    }
  }

  describe('a page of the audit trail', () => {
    const cases: [string, Partial<AuditQuery>][] = [
      ['the whole trail, newest first', {}],
      ['a category', { category: 'rbac' }],
      ['since a time', { since: at(100) }],
      ['until a time', { until: at(50) }],
      ['a time window in a category', { category: 'users', since: at(20), until: at(150) }],
      ['the next page (cursor)', { before: newId() }],
      ['by or about a user', { userId: 'USER' }],
      ['by or about a user in a category', { userId: 'USER', category: 'auth' }],
      ['by or about a user in a time window', { userId: 'USER', since: at(10), until: at(120) }],
      ['the next page of a time window', { since: at(10), before: newId() }],
      ['an export batch, oldest first', { oldestFirst: true, after: newId(), upTo: newId() }],
      ['an export batch of a category', { oldestFirst: true, category: 'rbac', upTo: newId() }],
      ['an export batch of a time window', { oldestFirst: true, since: at(10), until: at(190), after: newId(), upTo: newId() }],
      ['an export batch of a user', { oldestFirst: true, userId: 'USER', upTo: newId() }],
    ];
    it.each(cases)('%s: through an index, never a scan of audit_events', async (_label, filters) => {
      const query: AuditQuery = { tenantId, limit: 101, ...filters, ...(filters.userId ? { userId } : {}) };
      const plan = await planOf(auditPageQuery(fixture.db, query));
      expectIndexedOnly(plan, ['audit_events']);
      // Handed out in the index's order, so the limit stops the walk: no sort of every matching
      // event (the union of a user's two walks sorts at most two pages; a time window sorts only
      // the events of one instant by id).
      if (engine === 'sqlite' && !filters.userId) expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    });
  });

  describe('a page of the trail across tenants (scope=all)', () => {
    const cases: [string, Partial<AuditQuery>][] = [
      ['the whole trail', {}],
      ['a category', { category: 'rbac' }],
      ['a time window', { since: at(20), until: at(150) }],
      ['the next page (cursor)', { before: newId() }],
      ['the next page of a time window', { since: at(10), before: newId() }],
      ['by or about a user', { userId: 'USER' }],
      ['an export batch, oldest first', { oldestFirst: true, after: newId(), upTo: newId() }],
    ];
    it.each(cases)("the caller's tenants, %s: each tenant's walk through its index", async (_label, filters) => {
      const query: AuditQuery = { limit: 101, ...filters, tenantId: { anyOf: [tenantId, otherTenantId] }, ...(filters.userId ? { userId } : {}) };
      expectIndexedOnly(await planOf(auditPageQuery(fixture.db, query)), ['audit_events', 'e']);
    });
    it.each(cases)('every tenant, %s: one walk through an installation-wide index', async (_label, filters) => {
      const query: AuditQuery = { limit: 101, ...filters, tenantId: { everyTenant: true }, ...(filters.userId ? { userId } : {}) };
      const plan = await planOf(auditPageQuery(fixture.db, query));
      if (engine === 'sqlite' && !filters.userId) expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      // Unfiltered, the walk is the primary key's, newest first (or oldest), which the limit stops: in order, as checked above.
      const unfiltered = !filters.category && !filters.userId && !filters.since && !filters.until;
      expectIndexedOnly(unfiltered && engine === 'sqlite' ? plan.map((line) => line.replace(/^SCAN e USING INDEX sqlite_autoindex_audit_events_1$/, 'SEARCH e USING PRIMARY KEY')) : plan, ['audit_events', 'e']);
    });
  });

  describe("a sorted page of a tenant's users (sort=)", () => {
    const cases: [string, Partial<UserListQuery>][] = [
      ['sorted by email', { order: { key: 'email', descending: false } }],
      ['sorted by email, the next page', { order: { key: 'email', descending: true, after: { value: 'planned@example.test', id: newId() } } }],
      ['sorted by name', { order: { key: 'name', descending: false } }],
      ['sorted by name, the next page', { order: { key: 'name', descending: false, after: { value: 'planned 1', id: newId() } } }],
      ['sorted by last sign-in, newest first', { order: { key: 'lastSignIn', descending: true } }],
      ['sorted by last sign-in, the next page', { order: { key: 'lastSignIn', descending: true, after: { value: at(3), id: newId() } } }],
      ['newest first', { order: { key: 'created', descending: true } }],
      ['sorted by name, with a role and a status', { roleId: 'viewer', status: 'active', order: { key: 'name', descending: true } }],
    ];
    const orderIndex = { email: 'sqlite_autoindex_users_2', name: 'users_display_name_order', lastSignIn: 'users_last_login_order' } as const;
    it.each(cases)('%s: one walk in the order of an index, which the limit stops', async (_label, filters) => {
      const plan = await planOf(memberPageQuery(fixture.db, engine, tenantId, { limit: 51, ...filters }));
      const key = filters.order!.key;
      if (engine === 'sqlite') {
        expect(plan.join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
        // The first page walks the users' index of the sort value from its start (a SCAN in index order); the next one from the cursor.
        if (key !== 'created') expect(plan.join('\n')).toMatch(new RegExp(`(SCAN|SEARCH) u USING INDEX ${orderIndex[key]}\\b`));
      }
      const walked = engine === 'sqlite' && key !== 'created' ? plan.map((line) => line.replace(/^SCAN u USING INDEX (\w+)$/, 'SEARCH u USING INDEX $1')) : plan;
      expectIndexedOnly(walked, ['ra', 'u', 'r', 'home', 'role_assignments', 'users', 'roles', 'tenants', 'two_factor', 'external_identities']);
    });
  });

  describe("a page of a tenant's users", () => {
    const cases: [string, Partial<UserListQuery>][] = [
      ['the first page', {}],
      ['the next page (cursor)', { after: newId() }],
      ['a role', { roleId: 'viewer' }],
      ['a status', { status: 'suspended' }],
      ['two-factor enrolled', { twoFactorEnrolled: true }],
      ['not two-factor enrolled', { twoFactorEnrolled: false }],
      ['SSO-linked', { ssoLinked: true }],
      ['not SSO-linked', { ssoLinked: false }],
      ['signed in before and after', { lastSignInBefore: at(20), lastSignInAfter: at(5) }],
      ['a home tenant', { homeTenantSlug: 'tenant-1' }],
      ['a search of two characters (LIKE)', { search: 'pl' }],
      ['a search of three or more (trigram index)', { search: 'planned 1' }],
      ['a search and a role', { search: 'anned', roleId: 'operator' }],
      ['every filter at once', { roleId: 'viewer', status: 'active', twoFactorEnrolled: false, ssoLinked: false, lastSignInAfter: at(1), homeTenantSlug: 'tenant-1', search: 'planned' }],
    ];
    it.each(cases)('%s: through indexes, never a scan of a table', async (_label, filters) => {
      const page = memberPageQuery(fixture.db, engine, tenantId, { limit: 51, ...filters });
      const plan = await planOf(page);
      expectIndexedOnly(plan, ['ra', 'u', 'r', 'home', 'role_assignments', 'users', 'roles', 'tenants', 'two_factor', 'external_identities', 'member_search_keys', 'tenant_search_keys', 'ms']);
      // The page itself is handed out in the index's order (a search's matches may be sorted
      // inside their subquery, which the count of SEARCH_PLAN keeps small).
      if (engine === 'sqlite') expect((await topLevelPlanOf(page)).join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    });

    // A search through the index (user-store.ts, SEARCH_PLAN) reads the tenant's entries of the
    // index of memberships (migration 016), not the installation's: on SQLite the FTS5 match is
    // constrained to the tenant's rowid range (both bounds passed to the table, ">" and "<" in
    // its index string), on PostgreSQL member_search is read by the tenant id.
    const indexed: [string, Partial<UserListQuery>][] = [
      ['the first page', { search: 'planned 1' }],
      ['the next page', { search: 'anned', after: newId() }],
      ['newest first', { search: 'anned', order: { key: 'created', descending: true } }],
      ['sorted by name', { search: 'anned', order: { key: 'name', descending: false } }],
      ['with a role', { search: 'anned', roleId: 'operator' }],
    ];
    it.each(indexed)("a search through the index, %s: the tenant's part of the index of memberships", async (_label, filters) => {
      const text = (await planOf(memberPageQuery(fixture.db, engine, tenantId, { limit: 51, ...filters }, { searchPath: 'index' }))).join('\n');
      if (engine === 'sqlite') {
        expect(text, text).toMatch(/SCAN member_search VIRTUAL TABLE INDEX \d+:M\S*>/);
        expect(text, text).toMatch(/SCAN member_search VIRTUAL TABLE INDEX \d+:M\S*</);
        expect(text, text).toMatch(/SEARCH tenant_search_keys USING COVERING INDEX/);
      } else {
        expect(text, text).toMatch(/on member_search ms\b/);
        expect(text, text).toMatch(/Index Cond: \(+tenant_id = /);
      }
    });

    // A search that walks the tenant's members (user-store.ts, SEARCH_PLAN): each member tested
    // through migration 014's covering index on SQLite, the walk bounded by where it ends.
    const walks: [string, Partial<UserListQuery>, string | undefined][] = [
      ['a small tenant, walked whole', { search: 'planned 1' }, undefined],
      ['a walk that ends at a member', { search: 'anned' }, newId()],
      ['a walk after a cursor, with a role', { search: 'planned', after: newId(), roleId: 'viewer' }, newId()],
    ];
    it.each(walks)('a search walking the members, %s: through indexes, never a scan of a table', async (_label, filters, upTo) => {
      const plan = await planOf(memberPageQuery(fixture.db, engine, tenantId, { limit: 51, ...filters }, { searchPath: 'walk', upTo }));
      expectIndexedOnly(plan, ['ra', 'u', 's', 'r', 'home', 'role_assignments', 'users', 'roles', 'tenants', 'two_factor', 'external_identities']);
      if (engine === 'sqlite') {
        expect(plan.join('\n')).toMatch(/USING COVERING INDEX users_search_walk/);
        expect(plan.join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY|member_search VIRTUAL TABLE/);
      }
    });
  });
});

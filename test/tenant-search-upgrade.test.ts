import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/domain/store.ts';
import type { StoredUser } from '../src/domain/users/user.ts';
import { migrate, migrateTo, migrationNames, openDatabase, type OpenedDatabase } from '../src/storage/open-database.ts';
import { createSqlStore } from '../src/storage/sql-store.ts';
import { SEARCH_PLAN, sqlUserStore, type SearchPlan } from '../src/storage/stores/user-store.ts';
import { createTestDatabase, engines, type TestDatabase } from './support/harness.ts';
import { addBuiltInRoles, addMember, addTenant } from './support/store-fixture.ts';

/** The release before migration 016 (search by tenant): its search index was installation-wide. */
const PREVIOUS = '015-import-job-leases';

/**
 * Migration 016 builds the index of memberships from the data already there: a database left at
 * 015, with people in one tenant and in two, finds each of them by search in every tenant they
 * belong to and in no other, through the index and through the walk, and the index is kept by
 * the triggers from then on.
 */
describe.each(engines)('search by tenant after an upgrade from 015 on %s', (engine) => {
  let database: TestDatabase;
  let opened: OpenedDatabase;
  let store: Store;
  let acmeId: string;
  let globexId: string;
  let both: StoredUser;
  let acmeOnly: StoredUser;
  let globexOnly: StoredUser;

  /** The index (a tenant counted as large, every term rare) and the walk (the defaults: a small tenant). */
  const plans: SearchPlan[] = [{ SMALL_TENANT: 1, RARE_TERM: 1_000_000, BROAD_WALK: 1 }, SEARCH_PLAN];
  const found = async (tenantId: string, search: string) => {
    const pages = await Promise.all(plans.map(async (plan) => (await sqlUserStore(opened.db, engine, plan).listMembers(tenantId, { search, limit: 50 })).map((member) => member.user.id)));
    expect(pages[1], `${search}: the walk and the index agree`).toEqual(pages[0]);
    return pages[0]!;
  };

  beforeAll(async () => {
    expect(migrationNames.indexOf(PREVIOUS)).toBe(migrationNames.indexOf('016-tenant-search') - 1);
    database = await createTestDatabase(engine);
    opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, report: () => undefined });
    await migrateTo(opened.db, PREVIOUS);
    // Written with today's store code, which writes only tables 015 had.
    store = createSqlStore(opened.db, opened.engine);
    await addBuiltInRoles(store);
    acmeId = (await addTenant(store, 'acme-upgrade')).id;
    globexId = (await addTenant(store, 'globex-upgrade')).id;
    both = await addMember(store, acmeId, 'viewer', { email: 'marguerite.okafor@acme.example', displayName: 'Marguerite Okafor' });
    await store.assignments.set({ userId: both.id, tenantId: globexId, roleId: 'operator', assignedAt: both.createdAt, assignedBy: null });
    acmeOnly = await addMember(store, acmeId, 'viewer', { email: 'theo.okafor@acme.example', displayName: 'Théo Okafor' });
    globexOnly = await addMember(store, globexId, 'viewer', { email: 'zoë.okafor@globex.example', displayName: 'ZOË OKAFOR' });
    await migrate(opened.db);
  });
  afterAll(async () => {
    await opened?.db.destroy();
    await database?.drop();
  });

  it('finds the people already there in each of their tenants, and nobody else', async () => {
    const sorted = (...users: StoredUser[]) => users.map((user) => user.id).sort();
    expect(await found(acmeId, 'okafor')).toEqual(sorted(both, acmeOnly));
    expect(await found(globexId, 'OKAFOR')).toEqual(sorted(both, globexOnly));
    expect(await found(acmeId, 'marguerite')).toEqual([both.id]);
    expect(await found(globexId, 'marguerite')).toEqual([both.id]);
    expect(await found(acmeId, 'théo')).toEqual([acmeOnly.id]);
    expect(await found(globexId, 'théo')).toEqual([]);
    expect(await found(globexId, 'zoë')).toEqual([globexOnly.id]);
    expect(await found(acmeId, 'globex.ex')).toEqual([]);
  });

  it('keeps the new index in step after the upgrade', async () => {
    await store.users.update(acmeOnly.id, { displayName: 'Theodora Mbeki', email: 'theodora@acme.example' });
    expect(await found(acmeId, 'okafor')).toEqual([both.id]);
    expect(await found(acmeId, 'mbeki')).toEqual([acmeOnly.id]);
    await store.assignments.set({ userId: acmeOnly.id, tenantId: globexId, roleId: 'viewer', assignedAt: acmeOnly.createdAt, assignedBy: null });
    expect(await found(globexId, 'mbeki')).toEqual([acmeOnly.id]);
    await store.assignments.remove(acmeId, both.id);
    expect(await found(acmeId, 'marguerite')).toEqual([]);
    expect(await found(globexId, 'marguerite')).toEqual([both.id]);
  });
});

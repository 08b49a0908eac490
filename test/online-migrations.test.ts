import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndexOnline } from '../src/storage/migrations/online-index.ts';
import { migrate, migrateTo, openDatabase, type OpenedDatabase } from '../src/storage/open-database.ts';
import { createTestDatabase, type TestDatabase } from './support/harness.ts';

/** Tables that grow with the installation: an index build on them must not hold writers off (issue 10). */
const LARGE_TABLES = ['users', 'audit_events', 'role_assignments', 'member_search'];
const PREVIOUS = '007-mail-delivery';

/**
 * Upgrades on PostgreSQL build the indexes of large tables concurrently, outside any transaction,
 * so sign-ins and audited changes go on during the builds (src/storage/migrations/online-index.ts).
 */
describe('index builds during an upgrade on PostgreSQL', () => {
  let database: TestDatabase;
  let opened: OpenedDatabase;
  const sent: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, report: () => undefined });
    await migrateTo(opened.db, PREVIOUS);
    const stop = opened.statements.listen((statement) => sent.push(statement.replace(/\s+/g, ' ').trim().toLowerCase()));
    await migrate(opened.db);
    stop();
  });
  afterAll(async () => {
    await opened?.db.destroy();
    await database?.drop();
  });

  it('builds every index of a large table concurrently, never inside a transaction', async () => {
    const builds = sent.filter((statement) => /^create (unique )?index/.test(statement) && LARGE_TABLES.some((table) => statement.includes(` on "${table}"`) || statement.includes(` on ${table} `)));
    expect(builds.length).toBeGreaterThanOrEqual(10);
    for (const statement of builds) expect(statement, statement).toContain('concurrently');
    let open = 0;
    for (const statement of sent) {
      if (/^(begin|start transaction)/.test(statement)) open++;
      if (/^(commit|rollback)/.test(statement)) open = Math.max(0, open - 1);
      if (statement.includes('concurrently')) expect(open, `${statement} ran inside a transaction`).toBe(0);
    }
  });

  it('leaves every index valid, and a build may run again after a crash', async () => {
    const invalid = await sql<{ name: string }>`select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid where not i.indisvalid`.execute(opened.db);
    expect(invalid.rows).toEqual([]);
    // A crash between a build and the migration's record runs the step again: nothing changes, nothing fails.
    await createIndexOnline(opened.db, { name: 'users_display_name_order', table: 'users', expression: sql`lower(display_name), id` });
    await createIndexOnline(opened.db, { name: 'audit_events_tenant_category_id', table: 'audit_events', columns: ['tenant_id', 'category', 'id'] });
  });

  it('rebuilds an index that an interrupted concurrent build left invalid', async () => {
    // A unique build that fails halfway leaves its index behind, INVALID, as a killed build would.
    await sql`create table online_index_probe (value integer)`.execute(opened.db);
    await sql`insert into online_index_probe values (1), (1)`.execute(opened.db);
    await expect(sql`create unique index concurrently online_index_probe_value on online_index_probe (value)`.execute(opened.db)).rejects.toThrow();
    const state = () => sql<{ valid: boolean }>`select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'online_index_probe_value'`.execute(opened.db);
    expect((await state()).rows).toEqual([{ valid: false }]);
    await createIndexOnline(opened.db, { name: 'online_index_probe_value', table: 'online_index_probe', columns: ['value'] });
    expect((await state()).rows).toEqual([{ valid: true }]);
  });
});

import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../test/support/postgres.ts';
import { createPostgresDialect, CUSTOM_PLAN, PreparedStatementNames } from './postgres-dialect.ts';

describe('names for prepared statements', () => {
  it('gives a repeated query one name, from its second run, and another query another', () => {
    const names = new PreparedStatementNames();
    names.enable();
    const byId = 'select * from users where id = $1';
    expect(names.nameOf(byId)).toBeUndefined();
    const name = names.nameOf(byId);
    expect(name).toBeDefined();
    expect(names.nameOf(byId)).toBe(name);
    names.nameOf('select * from tenants where id = $1');
    expect(names.nameOf('select * from tenants where id = $1')).not.toBe(name);
  });

  it('names nothing before it is enabled, nor anything but a query', () => {
    const names = new PreparedStatementNames();
    for (let run = 0; run < 3; run++) expect(names.nameOf('select 1 where 1 = $1')).toBeUndefined();
    names.enable();
    for (const text of ['begin', 'commit', 'create table t (x int)', 'set statement_timeout = 1', 'savepoint a']) {
      for (let run = 0; run < 3; run++) expect(names.nameOf(text), text).toBeUndefined();
    }
  });

  it('never names a statement planned for its values, such as a users search through the trigram index', () => {
    const names = new PreparedStatementNames();
    names.enable();
    const search = `select u.* from users as u where u.id in (select ${CUSTOM_PLAN} ms.user_id from member_search as ms where ms.email_normalized like $1)`;
    for (let run = 0; run < 8; run++) expect(names.nameOf(search)).toBeUndefined();
  });

  it('stops naming new texts at its limit', () => {
    const names = new PreparedStatementNames(2);
    names.enable();
    for (const text of ['select $1::int', 'select $1::text', 'select $1::bigint']) {
      names.nameOf(text);
      names.nameOf(text);
    }
    expect(names.size).toBe(2);
    expect(names.nameOf('select $1::bigint')).toBeUndefined();
  });
});

describe('the PostgreSQL dialect', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let db: Kysely<any>;
  let preparedStatements: PreparedStatementNames;
  /** The statements prepared on the one connection of the pool. */
  const prepared = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements order by statement`.execute(db)).rows.map((row) => row.statement);

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const created = createPostgresDialect(database.url, () => undefined, 1);
    db = new Kysely<any>({ dialect: created.dialect });
    preparedStatements = created.preparedStatements;
    await sql`create table items (id int primary key, name text)`.execute(db);
    await sql`insert into items values (1, 'one'), (2, 'two')`.execute(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });
  // Each test on a new connection, which has prepared nothing, and with naming off.
  beforeEach(async () => {
    await db.destroy();
    const created = createPostgresDialect(database.url, () => undefined, 1);
    db = new Kysely<any>({ dialect: created.dialect });
    preparedStatements = created.preparedStatements;
  });

  it('prepares nothing until enabled', async () => {
    for (let run = 0; run < 3; run++) await db.selectFrom('items').selectAll().where('id', '=', 1).execute();
    expect(await prepared()).toEqual([]);
  });

  it('prepares a repeated query once enabled, and answers the same', async () => {
    preparedStatements.enable();
    const query = () => db.selectFrom('items').select('name').where('id', '=', 2).executeTakeFirst();
    expect(await query()).toEqual({ name: 'two' });
    expect(await prepared()).toEqual([]);
    expect(await query()).toEqual({ name: 'two' });
    expect(await query()).toEqual({ name: 'two' });
    expect(await prepared()).toEqual(['select "name" from "items" where "id" = $1']);
  });

  it('prepares nothing inside a transaction, nor the transaction control', async () => {
    preparedStatements.enable();
    for (let run = 0; run < 3; run++) {
      await db.transaction().execute((transaction) => transaction.selectFrom('items').selectAll().where('id', '=', 1).execute());
    }
    expect(await prepared()).toEqual([]);
    await db.selectFrom('items').selectAll().where('id', '=', 1).execute();
    await db.selectFrom('items').selectAll().where('id', '=', 1).execute();
    expect(await prepared()).toHaveLength(1);
  });

  it('survives another connection changing the columns of a prepared query', async () => {
    preparedStatements.enable();
    const query = () => db.selectFrom('items').selectAll().where('id', '=', 1).executeTakeFirst();
    await query();
    expect(await query()).toEqual({ id: 1, name: 'one' });
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('alter table items add column note text');
    } finally {
      await other.end();
    }
    expect(await query()).toEqual({ id: 1, name: 'one', note: null });
    expect(await query()).toEqual({ id: 1, name: 'one', note: null });
    await sql`alter table items drop column note`.execute(db);
  });
});

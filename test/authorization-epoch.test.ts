import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../src/storage/open-database.ts';
import { SharedEpochRead } from '../src/storage/stores/authorization-epoch.ts';
import { AUTHORIZATION_COLUMNS, TOUCH_COLUMNS } from '../src/storage/stores/authorization-store.ts';
import { createSignedInUser, createTestDatabase, startTestServer, type TestDatabase, type TestServer } from './support/harness.ts';

/**
 * The authorization epoch (PostgreSQL, migration 017): the version a node's kept authorization
 * facts are checked against. It must move with every committed change to what the authorization
 * statement reads, and be read after the request arrived. test/two-nodes-authorization.test.ts
 * proves the outcome change by change; this proves the parts.
 */
describe('the authorization epoch on PostgreSQL', () => {
  let database: TestDatabase;
  let test: TestServer;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    test = await startTestServer('postgres', { database });
    client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await test?.close();
    await database?.drop();
  });

  /** The bumps so far (the version itself is random: see migration 017). */
  const version = async () => BigInt((await client.query<{ bumps: string }>('select bumps::text from authorization_epoch where id = 1')).rows[0]!.bumps);
  const versionText = async () => (await client.query<{ version: string }>('select version from authorization_epoch where id = 1')).rows[0]!.version;

  it('watches every column the authorization statement reads, but the touch times', async () => {
    const { rows } = await client.query<{ table: string; definition: string }>(
      `select c.relname as table, pg_get_triggerdef(t.oid) as definition
         from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where not t.tgisinternal and t.tgdeferrable and t.tginitdeferred`,
    );
    for (const [table, columns] of Object.entries(AUTHORIZATION_COLUMNS)) {
      const definitions = rows.filter((row) => row.table === table).map((row) => row.definition);
      expect(definitions.some((definition) => / AFTER (INSERT OR )?DELETE /.test(definition)), `${table}: deletions`).toBe(true);
      const onUpdate = definitions.find((definition) => definition.includes(' AFTER UPDATE OF '));
      expect(onUpdate, `${table}: updates`).toBeDefined();
      const watched = / AFTER UPDATE OF (.+?) ON /.exec(onUpdate!)![1]!.split(', ');
      const touch = TOUCH_COLUMNS[table];
      expect(watched.sort(), table).toEqual(columns.filter((column) => column !== touch && (column !== 'id' || watched.includes('id'))).sort());
      if (touch) expect(watched, `${table}: its touch time alone moves nothing`).not.toContain(touch);
    }
  });

  it('moves once per committed transaction that changes what decides, and not for a touch or a display name', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const before = await version();
    await client.query('update sessions set last_seen_at = last_seen_at where user_id = $1', [user.id]);
    await client.query(`update users set display_name = 'epoch test' where id = $1`, [user.id]);
    await client.query('update api_tokens set last_used_at = now()::text');
    expect(await version()).toBe(before);

    // Several changes in one transaction: one bump, at the commit; none for a rollback.
    await client.query('begin');
    await client.query(`update users set status = 'suspended' where id = $1`, [user.id]);
    await client.query(`update users set status = 'active' where id = $1`, [user.id]);
    await client.query(`update sessions set ended_at = now()::text where user_id = $1`, [user.id]);
    expect(await version(), 'not before the commit').toBe(before);
    await client.query('rollback');
    expect(await version()).toBe(before);
    await client.query('begin');
    await client.query(`update users set must_change_password = 1 where id = $1`, [user.id]);
    await client.query(`update role_assignments set role_id = role_id where user_id = $1`, [user.id]);
    await client.query(`update users set must_change_password = 0 where id = $1`, [user.id]);
    await client.query('commit');
    expect(await version()).toBe(before + 1n);
  });

  it('lets concurrent writers of what decides commit side by side (the row is taken at the commit only)', async () => {
    const users = await Promise.all([createSignedInUser(test, { role: 'Viewer' }), createSignedInUser(test, { role: 'Viewer' })]);
    const others = await Promise.all(users.map(async () => {
      const other = new pg.Client({ connectionString: database.databaseUrl });
      await other.connect();
      return other;
    }));
    try {
      const before = await version();
      // Both open, both change a decision, each holding its user's row; neither waits on the epoch before committing.
      for (const [index, other] of others.entries()) {
        await other.query('begin');
        await other.query(`update users set status = 'suspended' where id = $1`, [users[index]!.id]);
      }
      await Promise.all(others.map((other) => other.query('commit')));
      expect(await version()).toBe(before + 2n);
    } finally {
      await Promise.all(others.map((other) => other.end()));
    }
  });

  it('moves to a value it never had before, so a database turned back to an older version (a restore) matches no kept facts', async () => {
    const seen = new Set([await versionText()]);
    const user = await createSignedInUser(test, { role: 'Viewer' });
    for (let n = 0; n < 5; n++) {
      await client.query(`update users set status = $1 where id = $2`, [n % 2 ? 'active' : 'suspended', user.id]);
      const now = await versionText();
      expect(seen.has(now), 'a version seen before').toBe(false);
      seen.add(now);
    }
    // Turned back by hand, as a restore would: the next bump still goes somewhere new.
    const [first] = [...seen];
    await client.query('update authorization_epoch set version = $1', [first]);
    await client.query(`update users set status = 'active' where id = $1`, [user.id]);
    expect(seen.has(await versionText())).toBe(false);
  });

  it('moves with a TRUNCATE of any table the authorization statement reads, which no row trigger sees', async () => {
    for (const table of Object.keys(AUTHORIZATION_COLUMNS)) {
      const before = await version();
      await client.query('begin');
      try {
        await client.query(`truncate ${table} cascade`);
        expect(await version(), table).toBe(before + 1n);
      } finally {
        await client.query('rollback');
      }
    }
  });

  it('a session kept by the node ends at the next request when an operator truncates the sessions', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    expect((await user.client.get('/api/v1/me')).status).toBe(200);
    expect((await user.client.get('/api/v1/me')).status, 'given again from the kept facts').toBe(200);
    await client.query('truncate sessions');
    expect((await user.client.get('/api/v1/me')).status).toBe(401);
  });

  it('is read through one shared statement, the same version as the row', async () => {
    const opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      await migrate(opened.db);
      const shared = new SharedEpochRead(opened.db);
      expect(await shared.read()).toBe(await versionText());
    } finally {
      await opened.db.destroy();
    }
  });
});

describe('SharedEpochRead', () => {
  /** Reads answered by hand: `sent` lists them in the order they went out. */
  function manual() {
    const sent: { resolve: (version: string) => void; reject: (error: Error) => void }[] = [];
    const shared = new SharedEpochRead(undefined as never, () => new Promise<string>((resolve, reject) => sent.push({ resolve, reject })));
    return { shared, sent };
  }

  it('sends one read for a request that finds none on its way', async () => {
    const { shared, sent } = manual();
    const first = shared.read();
    expect(sent).toHaveLength(1);
    sent[0]!.resolve('7');
    expect(await first).toBe('7');
    const second = shared.read();
    expect(sent, 'the first is back: a later request gets a read of its own').toHaveLength(2);
    sent[1]!.resolve('8');
    expect(await second).toBe('8');
  });

  it('never gives a request a read sent before it arrived: those arriving meanwhile share the next one', async () => {
    const { shared, sent } = manual();
    const early = shared.read();
    const late = [shared.read(), shared.read(), shared.read()];
    expect(sent, 'the next read waits for the one on its way').toHaveLength(1);
    sent[0]!.resolve('1');
    expect(await early).toBe('1');
    await Promise.resolve();
    expect(sent, 'then goes out once, for all who waited').toHaveLength(2);
    // Arriving while that one is on its way: not served by it either.
    const later = shared.read();
    sent[1]!.resolve('2');
    expect(await Promise.all(late)).toEqual(['2', '2', '2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(3);
    sent[2]!.resolve('3');
    expect(await later).toBe('3');
    expect(shared.sent).toBe(3);
  });

  it('passes a failed read to those who waited for it, and sends again after it', async () => {
    const { shared, sent } = manual();
    const first = shared.read();
    const waiting = shared.read();
    sent[0]!.reject(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await Promise.resolve();
    expect(sent).toHaveLength(2);
    sent[1]!.reject(new Error('still down'));
    await expect(waiting).rejects.toThrow('still down');
    const after = shared.read();
    sent[2]!.resolve('5');
    expect(await after).toBe('5');
  });
});

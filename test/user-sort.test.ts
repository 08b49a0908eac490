import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from './support/api-client.ts';
import { engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

interface Row {
  id: string;
  email: string;
  displayName: string;
  lastLoginAt: string | null;
  status: string;
}

/**
 * GET /api/v1/users?sort=&order= (issue 12): the tenant's users by creation, email, name or
 * last sign-in, either way, paged by a cursor that carries the order, every page one statement
 * whatever its size; another tenant's users never appear.
 */
describe.each(engines)('users sorted by a column on %s', (engine) => {
  let test: TestServer;
  let client: ApiClient;
  const ours: Row[] = [];
  const at = (day: number) => new Date(Date.UTC(2026, 10, day, 9)).toISOString();

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['sorting', 'elsewhere']) expect((await test.admin.post('/api/v1/tenants', { slug, name: slug })).status).toBe(201);
    client = test.admin.inTenant('sorting');
    // First letters differ (or names are equal), so every collation agrees on the order.
    const people: [string, string, number | null][] = [
      ['mia', 'Mia Park', 3],
      ['Carl', 'carl Diaz', null],
      ['zoe', 'Zoe Quinn', 1],
      ['adam', 'Same Name', 5],
      ['Bea', 'Same Name', null],
      ['owen', 'owen Reyes', 3],
      ['kim', 'Kim Ito', null],
    ];
    const store = test.server.services.context.store;
    for (const [local, displayName, day] of people) {
      const created = await client.post('/api/v1/users', { email: `${local}.${process.pid}@sort.example.test`, displayName, tenant: 'sorting', role: 'Viewer' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      if (day !== null) await store.users.update(created.body.user.id, { lastLoginAt: at(day) });
    }
    await test.admin.inTenant('elsewhere').post('/api/v1/users', { email: `aaron.${process.pid}@sort.example.test`, displayName: 'Aaron Elsewhere', tenant: 'elsewhere', role: 'Viewer' });
    ours.push(...(await client.get('/api/v1/users?limit=200')).body.items);
  });
  afterAll(() => test.close());

  /** Every page, `limit` at a time, following nextCursor. */
  async function everyPage(query: string, limit = 2): Promise<Row[]> {
    const rows: Row[] = [];
    let cursor: string | null = null;
    do {
      const answer: ApiResponse = await client.get(`/api/v1/users?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      rows.push(...answer.body.items);
      cursor = answer.body.nextCursor;
    } while (cursor);
    return rows;
  }

  const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const expected: Record<string, (a: Row, b: Row) => number> = {
    created: byId,
    email: (a, b) => (a.email.toLowerCase() < b.email.toLowerCase() ? -1 : 1),
    name: (a, b) => a.displayName.toLowerCase().localeCompare(b.displayName.toLowerCase()) || byId(a, b),
    lastSignIn: (a, b) => (a.lastLoginAt ?? '').localeCompare(b.lastLoginAt ?? '') || byId(a, b),
  };

  it.each(['created', 'email', 'name', 'lastSignIn'])('sorts by %s both ways, page after page, each user once', async (key) => {
    const ascending = [...ours].sort(expected[key]).map((row) => row.email);
    expect((await everyPage(`&sort=${key}`)).map((row) => row.email)).toEqual(ascending);
    expect((await everyPage(`&sort=${key}&order=asc`, 3)).map((row) => row.email)).toEqual(ascending);
    expect((await everyPage(`&sort=${key}&order=desc`)).map((row) => row.email)).toEqual([...ascending].reverse());
  });

  it('puts who never signed in last when the newest sign-in comes first', async () => {
    // The tenant's creator, the admin, signed in today: first.
    const rows = (await everyPage('&sort=lastSignIn&order=desc')).filter((row) => row.email.endsWith('@sort.example.test'));
    expect(rows.slice(0, 4).map((row) => row.lastLoginAt)).toEqual([at(5), at(3), at(3), at(1)]);
    expect(rows.slice(4).every((row) => row.lastLoginAt === null)).toBe(true);
  });

  it("never lists another tenant's users, and keeps the filters", async () => {
    const all = await everyPage('&sort=name');
    expect(all.some((row) => row.displayName === 'Aaron Elsewhere')).toBe(false);
    expect(all).toHaveLength(ours.length);
    const target = ours.find((row) => row.displayName === 'Kim Ito')!;
    expect((await client.post(`/api/v1/users/${target.id}/suspend`, {})).status).toBe(200);
    const active = await everyPage('&sort=email&order=desc&status=active');
    expect(active.map((row) => row.email)).toEqual(ours.filter((row) => row.id !== target.id).sort(expected.email).map((row) => row.email).reverse());
    expect((await client.post(`/api/v1/users/${target.id}/reactivate`, {})).status).toBe(200);
  });

  it('refuses a cursor of another order, naming it', async () => {
    const first = await client.get('/api/v1/users?limit=2&sort=created');
    const answer = await client.get(`/api/v1/users?limit=2&sort=name&cursor=${first.body.nextCursor}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    expect(answer.body.error.message).toMatch(/cursor/);
    expect((await client.get('/api/v1/users?sort=size')).status).toBe(400);
  });

  it('sends as many statements for a sorted page of 50 as for a page of 2', async () => {
    const count = async (path: string) => {
      let sent: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) sent = await statementsOf(test, async () => expect((await client.get(path)).status).toBe(200));
      return sent.length;
    };
    for (const sort of ['&sort=name', '&sort=email&order=desc', '&sort=lastSignIn&order=desc&search=sort.example', '&sort=created&order=desc']) {
      expect(await count(`/api/v1/users?limit=50${sort}`), sort).toBe(await count(`/api/v1/users?limit=2${sort}`));
    }
  });
});

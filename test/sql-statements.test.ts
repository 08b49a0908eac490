import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

/**
 * The most SQL statements one authorized read may send, transaction control included, on
 * either engine. The authorization itself is one statement (credential, owner, 2FA, policies,
 * acting tenant and roles at once: src/storage/stores/authorization-store.ts) and the domain's
 * re-check reuses its decision; GET /users/:id then reads the user in the tenant, their home
 * tenant and their role. A change that raises a count fails here first; lower them as the
 * handler's reads get shorter.
 */
const MAX_STATEMENTS_TOKEN_GET_USER = 4;
const MAX_STATEMENTS_SESSION_GET_USER = 4;

/**
 * Statements that read what authorization depends on: exactly one per request. A repeated
 * request's one is the version its credential's kept facts are checked against, when nothing
 * changed since they were read (src/storage/stores/authorization-cache.ts): the database's change
 * counter on SQLite, the authorization epoch on PostgreSQL.
 */
const authorizationReads = (sent: string[]) => sent.filter((sql) => /from "(api_tokens|sessions)"|"auth_policies"|pragma_data_version|from "authorization_epoch"/.test(sql));
const VERSION_READ = { sqlite: 'pragma_data_version', postgres: 'from "authorization_epoch" where "id" = $1' } as const;
const isAuthorizationStatement = (sql: string) => /from "(api_tokens|sessions)"/.test(sql);

describe.each(engines)('SQL statements per request on %s', (engine) => {
  let test: TestServer;
  let targetId: string;

  beforeAll(async () => {
    test = await startTestServer(engine);
    targetId = (await createSignedInUser(test, { role: 'Viewer' })).id;
  });
  afterAll(() => test.close());

  /** The statements of the third of three identical reads: what every request pays once warm. */
  async function statementsOfGetUser(client: ApiClient): Promise<string[]> {
    let sent: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      sent = await statementsOf(test, async () => expect((await client.get(`/api/v1/users/${targetId}`)).status).toBe(200));
    }
    return sent;
  }

  const report = (label: string, sent: string[]) => console.log(`${engine}: ${label}: ${sent.length} statement(s)\n  ${sent.join('\n  ')}`);

  it(`reads a user with an API token (ViewUsers) in at most ${MAX_STATEMENTS_TOKEN_GET_USER} statements`, async () => {
    const sent = await statementsOfGetUser(test.admin);
    report('GET /api/v1/users/:id with an API token', sent);
    expect(sent.length).toBeLessThanOrEqual(MAX_STATEMENTS_TOKEN_GET_USER);
    expect(authorizationReads(sent)).toHaveLength(1);
  });

  it(`reads a user with a session cookie in at most ${MAX_STATEMENTS_SESSION_GET_USER} statements`, async () => {
    const sent = await statementsOfGetUser(test.adminSession);
    report('GET /api/v1/users/:id with a session cookie', sent);
    expect(sent.length).toBeLessThanOrEqual(MAX_STATEMENTS_SESSION_GET_USER);
    expect(authorizationReads(sent)).toHaveLength(1);
  });

  it('authorizes in one statement in another tenant named by X-Sophon-Tenant, and for an installation-wide permission', async () => {
    expect((await test.admin.post('/api/v1/tenants', { slug: 'sqlcount', name: 'SQL count' })).status).toBe(201);
    const inTenant = test.admin.inTenant('sqlcount');
    for (const url of ['/api/v1/users', '/api/v1/tenants']) {
      let sent: string[] = [];
      for (let attempt = 0; attempt < 2; attempt++) sent = await statementsOf(test, async () => expect((await inTenant.get(url)).status).toBe(200));
      expect(authorizationReads(sent), url).toHaveLength(1);
      expect(sent.filter((sql) => sql.includes('"role_assignments"') && !sql.includes('"api_tokens"') && /"user_id" = (\?|\$\d+)$/.test(sql.trim())), url).toEqual([]);
    }
  });

  it('answers a check about the caller in the tenant they act in (or an installation-wide one) from the authorization statement alone', async () => {
    for (const body of [{ permission: 'ViewUsers' }, { permission: 'ViewUsers', tenant: 'default' }, { permission: 'ManageTenants' }, { checks: [{ permission: 'ViewUsers' }, { permission: 'ManageRoles' }] }]) {
      let sent: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        sent = await statementsOf(test, async () => {
          const answer = await test.admin.post('/api/v1/authz/check', body);
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        });
      }
      report(`POST /api/v1/authz/check ${JSON.stringify(body)}`, sent);
      expect(sent, JSON.stringify(body)).toHaveLength(1);
    }
  });

  it.runIf(engine === 'postgres')('reads the authorization statement again only after a change that can alter a decision, else the authorization epoch alone', async () => {
    const url = `/api/v1/users/${targetId}`;
    const get = () => statementsOf(test, async () => expect((await test.admin.get(url)).status).toBe(200));
    await get();
    const kinds = (sent: string[]) => authorizationReads(sent).map((sql) => (isAuthorizationStatement(sql) ? 'statement' : sql.includes(VERSION_READ.postgres) ? 'epoch' : sql));
    expect(kinds(await get())).toEqual(['epoch']);
    // A display name decides nothing: the epoch doesn't move, and the kept facts are given again.
    expect((await test.admin.patch(url, { displayName: 'Renamed by the cache test' })).status).toBe(200);
    expect(kinds(await get())).toEqual(['epoch']);
    // A role assignment (of someone else) moves it: the next request reads its facts again, once.
    expect((await test.admin.put(`/api/v1/users/${targetId}/role`, { role: 'Operator' })).status).toBe(200);
    expect(kinds(await get())).toEqual(['epoch', 'statement']);
    expect(kinds(await get())).toEqual(['epoch']);
  });

  it.runIf(engine === 'sqlite')('reads the authorization statement again only after a write, else the change counter alone', async () => {
    const url = `/api/v1/users/${targetId}`;
    const get = () => statementsOf(test, async () => expect((await test.admin.get(url)).status).toBe(200));
    await get();
    const repeated = await get();
    expect(authorizationReads(repeated)).toEqual([expect.stringContaining('pragma_data_version')]);
    // Any row changed (here a display name, through the API) and the next request reads afresh.
    expect((await test.admin.patch(url, { displayName: 'Renamed by the cache test' })).status).toBe(200);
    // The counter, which has moved, then the statement: the one request after a write that pays two.
    const afterWrite = await get();
    expect(authorizationReads(afterWrite).map((sql) => (isAuthorizationStatement(sql) ? 'statement' : 'counter'))).toEqual(['counter', 'statement']);
    expect(authorizationReads(await get())).toEqual([expect.stringContaining('pragma_data_version')]);
  });

  it('sends none for a request without a credential', async () => {
    const sent = await statementsOf(test, async () => expect((await test.anonymous.get(`/api/v1/users/${targetId}`)).status).toBe(401));
    expect(sent).toEqual([]);
  });
});

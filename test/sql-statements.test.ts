import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

/**
 * The most SQL statements one authorized read may send, transaction control included, on
 * either engine: the counts of December 2026, before the authorization path reads the
 * credential, its owner, the policy and the role at once (STYLE.md, habit 11). Lower them
 * as the path gets shorter; a change that raises a count fails here first.
 */
const MAX_STATEMENTS_TOKEN_GET_USER = 9;
const MAX_STATEMENTS_SESSION_GET_USER = 10;

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
  });

  it(`reads a user with a session cookie in at most ${MAX_STATEMENTS_SESSION_GET_USER} statements`, async () => {
    const sent = await statementsOfGetUser(test.adminSession);
    report('GET /api/v1/users/:id with a session cookie', sent);
    expect(sent.length).toBeLessThanOrEqual(MAX_STATEMENTS_SESSION_GET_USER);
  });

  it('sends none for a request without a credential', async () => {
    const sent = await statementsOf(test, async () => expect((await test.anonymous.get(`/api/v1/users/${targetId}`)).status).toBe(401));
    expect(sent).toEqual([]);
  });
});

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../src/storage/open-database.ts';
import * as tokenNames from '../src/storage/migrations/011-token-names.ts';
import { ApiClient } from './support/api-client.ts';
import { createSignedInUser, createTestDatabase, engines, startTestServer, type TestServer } from './support/harness.ts';

type TokenRow = { id: string; name: string; revokedAt: string | null };

/** One name per user among the API tokens not revoked (issue 12): refused with 409, a race included, and an old database's duplicates renamed by migration 011. */
describe.each(engines)('API token names on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine);
  });
  afterAll(() => test.close());

  const create = (client: ApiClient, name: string) => client.post('/api/v1/me/tokens', { name, expiresIn: '30d' });
  const namesOf = async (client: ApiClient) => ((await client.get('/api/v1/me/tokens')).body.items as TokenRow[]).filter((token) => !token.revokedAt).map((token) => token.name);

  it('refuses a name the user already has, in any case, with 409 TOKEN_NAME_TAKEN; another user may use it', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const other = await createSignedInUser(test, { role: 'Viewer' });
    expect((await create(user.client, 'ci-deploy')).status).toBe(201);
    const again = await create(user.client, '  CI-Deploy ');
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'TOKEN_NAME_TAKEN' });
    expect(again.body.error.message).toContain('"CI-Deploy"');
    expect((await create(other.client, 'ci-deploy')).status).toBe(201);
    expect(await namesOf(user.client)).toEqual(['ci-deploy']);
  });

  it('frees the name when the token is revoked', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const first = await create(user.client, 'laptop');
    expect((await user.client.delete(`/api/v1/me/tokens/${first.body.token.id}`)).status).toBe(204);
    expect((await create(user.client, 'laptop')).status).toBe(201);
  });

  it('rotates a token under the same name, and the name stays taken', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    const created = await create(user.client, 'rotating');
    const rotated = await user.client.post(`/api/v1/me/tokens/${created.body.token.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.token.name).toBe('rotating');
    expect((await new ApiClient(test.url, { token: rotated.body.secret }).get('/api/v1/me')).status).toBe(200);
    expect(await namesOf(user.client)).toEqual(['rotating']);
    expect((await create(user.client, 'rotating')).body.error.code).toBe('TOKEN_NAME_TAKEN');
  });

  it('makes one token of two concurrent creates with the same name: one 201, one 409', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer' });
    for (let round = 0; round < 5; round++) {
      const name = `race ${round}`;
      const statuses = (await Promise.all([create(user.client, name), create(user.client, name)])).map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 409]);
    }
    expect((await namesOf(user.client)).sort()).toEqual(['race 0', 'race 1', 'race 2', 'race 3', 'race 4']);
  });
});

describe.each(engines)('migration 011 on an old database with repeated token names on %s', (engine) => {
  it('renames the later active tokens of a repeated name (" (2)", " (3)"…), leaving revoked tokens and other users alone', async () => {
    const database = await createTestDatabase(engine);
    try {
      let first = await startTestServer(engine, { database });
      const user = await createSignedInUser(first, { role: 'Viewer' });
      const other = await createSignedInUser(first, { role: 'Viewer' });
      const made: Record<string, string> = {};
      for (const name of ['deploy', 'b', 'deploy (2)', 'd', 'e']) {
        made[name] = (await create(user.client, name)).body.token.id;
        first.clock.advance(1000);
      }
      await user.client.delete(`/api/v1/me/tokens/${made.e}`);
      const othersToken = (await create(other.client, 'deploy')).body.token.id;
      const userToken = (await create(user.client, 'reader')).body.secret as string;
      await first.close();

      // As a database from before 011 could be: without the index, and with repeated names.
      const opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, report: () => {} });
      await sql`drop index api_tokens_user_active_name`.execute(opened.db);
      const rename = (id: string, name: string) => opened.db.updateTable('api_tokens').set({ name }).where('id', '=', id).execute();
      await rename(made.b!, 'Deploy');
      await rename(made.d!, 'deploy');
      await rename(made.e!, 'deploy');
      // Migration 011 runs over it, as on the upgrade of such a database (later migrations, already applied here, don't touch api_tokens).
      await tokenNames.up(opened.db);
      await opened.db.destroy();

      first = await startTestServer(engine, { database });
      const names = new Map(((await new ApiClient(first.url, { token: userToken }).get('/api/v1/me/tokens')).body.items as TokenRow[]).map((token) => [token.id, token.name]));
      expect([made.deploy, made.b, made['deploy (2)'], made.d, made.e].map((id) => names.get(id!))).toEqual(['deploy', 'Deploy (3)', 'deploy (2)', 'deploy (4)', 'deploy']);
      const otherNames = ((await first.admin.get(`/api/v1/tokens?user=${other.id}`)).body.items as TokenRow[]).map((token) => [token.id, token.name]);
      expect(otherNames).toEqual([[othersToken, 'deploy']]);
      // And the index is there again.
      const reader = new ApiClient(first.url, { token: userToken });
      expect((await reader.post('/api/v1/me/tokens', { name: 'DEPLOY' })).body.error.code).toBe('TOKEN_NAME_TAKEN');
      await first.close();
    } finally {
      await database.drop();
    }
  });

  it('runs on a database without tokens', async () => {
    const database = await createTestDatabase(engine);
    try {
      const opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, report: () => {} });
      await migrate(opened.db);
      await opened.db.destroy();
    } finally {
      await database.drop();
    }
  });
});

const create = (client: ApiClient, name: string) => client.post('/api/v1/me/tokens', { name, expiresIn: '30d' });

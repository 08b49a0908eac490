import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../errors.ts';
import { ProviderKeySet } from './provider-key-set.ts';

/** A JWKS endpoint on loopback whose keys and answer the test controls, counting requests. */
let server: http.Server;
let uri: URL;
let fetches = 0;
let answer: { status: number; body: string };
const publish = (...kids: string[]) => {
  const keys = kids.map((kid) => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid, use: 'sig' }));
  answer = { status: 200, body: JSON.stringify({ keys }) };
};

beforeAll(async () => {
  server = http.createServer((_request, response) => {
    fetches++;
    // A little latency, so concurrent verifications overlap one fetch.
    setTimeout(() => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => vi.restoreAllMocks());

async function refusal(promise: Promise<unknown>): Promise<{ code: string; check: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { code: (error as DomainError).code, check: (error as DomainError).details.check, message: (error as DomainError).message };
  }
  throw new Error('it was accepted');
}

describe("the provider's key set", () => {
  it('is fetched once for concurrent verifications, then served from the cache', async () => {
    publish('a');
    const keys = new ProviderKeySet(uri, 5000);
    const before = fetches;
    const found = await Promise.all([keys.keyFor({ alg: 'RS256', kid: 'a' }), keys.keyFor({ alg: 'RS256', kid: 'a' })]);
    expect(found.map((key) => key.kid)).toEqual(['a', 'a']);
    await keys.keyFor({ alg: 'RS256', kid: 'a' });
    expect(fetches).toBe(before + 1);
  });

  it('is fetched again at once for an unknown kid (a rotation), and only once when the kid is unknown there too', async () => {
    publish('old');
    const keys = new ProviderKeySet(uri, 5000);
    await keys.keyFor({ alg: 'RS256', kid: 'old' });
    const before = fetches;
    publish('new');
    expect((await keys.keyFor({ alg: 'RS256', kid: 'new' })).kid).toBe('new');
    expect(fetches).toBe(before + 1);
    expect(await refusal(keys.keyFor({ alg: 'RS256', kid: 'old' }))).toMatchObject({ code: 'SSO_TOKEN_INVALID', check: 'signing_key', message: expect.stringContaining('kid "old"') });
    expect(fetches).toBe(before + 2);
  });

  it('is fetched again after ten minutes, so a withdrawn key stops working', async () => {
    publish('a');
    const keys = new ProviderKeySet(uri, 5000);
    await keys.keyFor({ alg: 'RS256', kid: 'a' });
    const before = fetches;
    const later = Date.now() + 10 * 60_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    publish('b');
    expect(await refusal(keys.keyFor({ alg: 'RS256', kid: 'a' }))).toMatchObject({ check: 'signing_key' });
    expect(fetches).toBe(before + 1);
  });

  it('refuses a token that names no kid when several keys fit', async () => {
    publish('a', 'b');
    expect(await refusal(new ProviderKeySet(uri, 5000).keyFor({ alg: 'RS256' }))).toMatchObject({ check: 'signing_key', message: expect.stringContaining('several') });
  });

  it('calls the provider unavailable when its key set answers an error or is not a key set', async () => {
    answer = { status: 500, body: 'down' };
    expect(await refusal(new ProviderKeySet(uri, 5000).keyFor({ alg: 'RS256', kid: 'a' }))).toMatchObject({ code: 'SSO_PROVIDER_UNAVAILABLE', message: expect.stringContaining('answered 500') });
    answer = { status: 200, body: '{"keys": 3}' };
    expect(await refusal(new ProviderKeySet(uri, 5000).keyFor({ alg: 'RS256', kid: 'a' }))).toMatchObject({ code: 'SSO_PROVIDER_UNAVAILABLE', message: expect.stringContaining('not a JSON Web Key Set') });
  });
});

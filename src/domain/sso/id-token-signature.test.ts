import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { checkAlgorithm, ID_TOKEN_ALGORITHMS, jwsHeaderOf, keysFor, verifySignature, type IdTokenAlgorithm, type JwsHeader, type PublishedKey } from './id-token-signature.ts';

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function keyPairFor(alg: IdTokenAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256' | 'ES384' | 'ES512'] });
}

function signJws(alg: IdTokenAlgorithm, privateKey: KeyObject, payload: Record<string, unknown> = { sub: 'someone' }, kid = 'k1'): string {
  const input = `${base64url(JSON.stringify({ alg, kid }))}.${base64url(JSON.stringify(payload))}`;
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const options = alg.startsWith('PS')
    ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }
    : alg.startsWith('ES')
      ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const }
      : privateKey;
  return `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`;
}

const published = (publicKey: KeyObject, extra: Record<string, unknown> = {}): PublishedKey => ({ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', ...extra });

function refusal(run: () => unknown): { code: string; check: unknown; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domain = error as DomainError;
    return { code: domain.code, check: domain.details.check, message: domain.message };
  }
  throw new Error('it was accepted');
}

describe('ID token signatures', () => {
  it.each(ID_TOKEN_ALGORITHMS)('verifies %s with the published key, and refuses a changed payload or another key', (alg) => {
    const { privateKey, publicKey } = keyPairFor(alg);
    const token = signJws(alg, privateKey);
    const header = jwsHeaderOf(token);
    checkAlgorithm(header, [alg]);
    const [key] = keysFor(header, [published(publicKey)]);
    expect(key).toBeDefined();
    expect(() => verifySignature(token, header, key!)).not.toThrow();

    const [head, , signature] = token.split('.');
    const changed = `${head}.${base64url(JSON.stringify({ sub: 'someone else' }))}.${signature}`;
    expect(refusal(() => verifySignature(changed, header, key!))).toMatchObject({ code: 'SSO_TOKEN_INVALID', check: 'signature' });
    const other = signJws(alg, keyPairFor(alg).privateKey);
    expect(refusal(() => verifySignature(other, header, key!))).toMatchObject({ code: 'SSO_TOKEN_INVALID', check: 'signature' });
    expect(refusal(() => verifySignature(`${head}.${base64url(JSON.stringify({ sub: 'someone' }))}.`, header, key!)).check).toBe('signature');
  });

  it('never accepts none or an HMAC algorithm, whatever the allowed list says, nor one outside it', () => {
    const header = (alg: string): JwsHeader => ({ alg });
    expect(refusal(() => checkAlgorithm(header('none'), ['none', 'RS256']))).toMatchObject({ check: 'algorithm', message: expect.stringContaining('never accepts') });
    expect(refusal(() => checkAlgorithm(header('HS256'), ['HS256']))).toMatchObject({ check: 'algorithm', message: expect.stringContaining('never accepts') });
    expect(refusal(() => checkAlgorithm(header('RS512'), ['RS256', 'PS256']))).toMatchObject({ check: 'algorithm', message: expect.stringContaining('Sophon:Auth:Sso:IdTokenAlgorithms, of those the provider offers: RS256, PS256') });
    // An HS256 token keyed with the public key reaches no verification at all.
    const { publicKey } = keyPairFor('RS256');
    const input = `${base64url(JSON.stringify({ alg: 'HS256', kid: 'k1' }))}.${base64url('{}')}`;
    const forged = `${input}.${createHmac('sha256', publicKey.export({ format: 'pem', type: 'spki' })).update(input).digest('base64url')}`;
    expect(refusal(() => checkAlgorithm(jwsHeaderOf(forged), ['RS256'])).check).toBe('algorithm');
  });

  it('refuses what is not a signed JWT', () => {
    expect(refusal(() => jwsHeaderOf('a.b')).check).toBe('signature');
    expect(refusal(() => jwsHeaderOf(`${base64url('not json')}.e30.sig`)).check).toBe('signature');
    expect(refusal(() => jwsHeaderOf(`${base64url('{"kid":"k1"}')}.e30.sig`)).check).toBe('algorithm');
    expect(refusal(() => jwsHeaderOf(`${base64url('{"alg":"RS256","kid":7}')}.e30.sig`)).check).toBe('signing_key');
  });

  it("selects keys by kid, key type, curve, and the key's own alg, use and key_ops", () => {
    const rsa = keyPairFor('RS256').publicKey;
    const ec = keyPairFor('ES256').publicKey;
    const keys = [
      published(rsa, { kid: 'rsa' }),
      published(rsa, { kid: 'rsa-enc', use: 'enc' }),
      published(rsa, { kid: 'rsa-ps-only', alg: 'PS256' }),
      published(rsa, { kid: 'rsa-no-verify', key_ops: ['encrypt'] }),
      published(ec, { kid: 'ec' }),
    ];
    const kids = (header: JwsHeader & { alg: IdTokenAlgorithm }) => keysFor(header, keys).map((key) => key.kid);
    expect(kids({ alg: 'RS256', kid: 'rsa' })).toEqual(['rsa']);
    expect(kids({ alg: 'RS256', kid: 'rsa-enc' })).toEqual([]);
    expect(kids({ alg: 'RS256', kid: 'rsa-ps-only' })).toEqual([]);
    expect(kids({ alg: 'PS256', kid: 'rsa-ps-only' })).toEqual(['rsa-ps-only']);
    expect(kids({ alg: 'RS256', kid: 'rsa-no-verify' })).toEqual([]);
    expect(kids({ alg: 'RS256', kid: 'ec' })).toEqual([]);
    expect(kids({ alg: 'ES384', kid: 'ec' })).toEqual([]);
    expect(kids({ alg: 'ES256' })).toEqual(['ec']);
  });

  it('refuses an RSA key shorter than 2048 bits, and reads a published private key as its public half only', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const token = signJws('RS256', weak.privateKey);
    expect(refusal(() => verifySignature(token, jwsHeaderOf(token) as JwsHeader & { alg: 'RS256' }, published(weak.publicKey)))).toMatchObject({ check: 'signing_key' });

    const { privateKey } = keyPairFor('ES256');
    const signed = signJws('ES256', privateKey);
    const leaked = { ...privateKey.export({ format: 'jwk' }), kid: 'k1' };
    expect(() => verifySignature(signed, jwsHeaderOf(signed) as JwsHeader & { alg: 'ES256' }, leaked)).not.toThrow();
  });
});

import { constants, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ssoTokenInvalid } from './sso-errors.ts';

/**
 * The JWS algorithms an ID token may be signed with: public-key signatures only. `none` and
 * the HMAC algorithms (HS256, …) are never accepted — an HMAC "signature" keyed with the
 * client secret, or with the provider's public key, proves nothing about the provider.
 */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type IdTokenAlgorithm = (typeof ID_TOKEN_ALGORITHMS)[number];

/** `Sophon:Auth:Sso:IdTokenAlgorithms` by default (then narrowed to those the provider offers). */
export const DEFAULT_ID_TOKEN_ALGORITHMS: readonly IdTokenAlgorithm[] = ['RS256', 'ES256', 'PS256'];

export interface JwsHeader {
  alg: string;
  kid?: string;
}

/** A member of the provider's JSON Web Key Set, as published (unchecked). */
export type PublishedKey = Record<string, unknown>;

/** The header of a compact JWS, or SSO_TOKEN_INVALID. */
export function jwsHeaderOf(token: string): JwsHeader {
  const parts = token.split('.');
  if (parts.length !== 3) throw ssoTokenInvalid('the ID token is not a signed JWT', 'signature');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    throw ssoTokenInvalid("the ID token's header is not JSON", 'signature');
  }
  if (typeof header !== 'object' || header === null || typeof (header as JwsHeader).alg !== 'string') throw ssoTokenInvalid("the ID token's header names no algorithm", 'algorithm');
  const { alg, kid } = header as { alg: string; kid?: unknown };
  if (kid !== undefined && typeof kid !== 'string') throw ssoTokenInvalid("the ID token's key id (kid) is not a string", 'signing_key');
  return kid === undefined ? { alg } : { alg, kid };
}

/** Refuses an algorithm outside `allowed` (the setting narrowed to what the provider offers), naming why. */
export function checkAlgorithm(header: JwsHeader, allowed: readonly string[]): asserts header is JwsHeader & { alg: IdTokenAlgorithm } {
  if (allowed.includes(header.alg) && (ID_TOKEN_ALGORITHMS as readonly string[]).includes(header.alg)) return;
  const name = JSON.stringify(header.alg.slice(0, 20));
  const never = header.alg.toLowerCase() === 'none' || /^HS/i.test(header.alg);
  throw ssoTokenInvalid(
    never
      ? `the ID token is signed with ${name}, which Sophon never accepts (only public-key signatures verified against the provider's JWKS)`
      : `the ID token is signed with ${name}, which is not among the algorithms allowed here (Sophon:Auth:Sso:IdTokenAlgorithms, of those the provider offers: ${allowed.join(', ')})`,
    'algorithm',
  );
}

/** The key type (and curve) an algorithm's signatures are made with. */
function keyTypeOf(alg: IdTokenAlgorithm): { kty: string; crv?: string } {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return { kty: 'RSA' };
  if (alg === 'EdDSA') return { kty: 'OKP', crv: 'Ed25519' };
  return { kty: 'EC', crv: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256' | 'ES384' | 'ES512'] };
}

/**
 * The published keys that could have made this signature: the token's `kid` (when it names
 * one), the algorithm's key type and curve, and the key's own `alg`, `use` and `key_ops`
 * when it states them.
 */
export function keysFor(header: JwsHeader & { alg: IdTokenAlgorithm }, keys: readonly PublishedKey[]): PublishedKey[] {
  const { kty, crv } = keyTypeOf(header.alg);
  return keys.filter(
    (key) =>
      key.kty === kty &&
      (crv === undefined || key.crv === crv) &&
      (header.kid === undefined || key.kid === header.kid) &&
      (key.alg === undefined || key.alg === header.alg) &&
      (key.use === undefined || key.use === 'sig') &&
      (!Array.isArray(key.key_ops) || key.key_ops.includes('verify')),
  );
}

/** Verifies the JWS signature of `token` with the published `key`; SSO_TOKEN_INVALID when it doesn't hold. */
export function verifySignature(token: string, header: JwsHeader & { alg: IdTokenAlgorithm }, key: PublishedKey): void {
  const kid = typeof key.kid === 'string' ? ` "${key.kid.slice(0, 100)}"` : '';
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicPart(key) as JsonWebKey, format: 'jwk' });
  } catch {
    throw ssoTokenInvalid(`the provider's key${kid} can't be read as a public key`, 'signing_key');
  }
  const modulusLength = publicKey.asymmetricKeyDetails?.modulusLength;
  if (publicKey.asymmetricKeyType === 'rsa' && (modulusLength === undefined || modulusLength < 2048)) {
    throw ssoTokenInvalid(`the provider's RSA key${kid} is shorter than 2048 bits`, 'signing_key');
  }
  const input = token.slice(0, token.lastIndexOf('.'));
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const alg = header.alg;
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const options = alg.startsWith('PS')
    ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }
    : alg.startsWith('ES')
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
      : publicKey;
  let valid = false;
  try {
    valid = signature.length > 0 && verify(hash, Buffer.from(input, 'utf8'), options, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw ssoTokenInvalid(`the ID token's ${alg} signature does not verify with the provider's key${kid}: it was not signed by the provider`, 'signature');
}

/** Only the public members: a JWKS that (wrongly) publishes a private key is still read as its public half. */
function publicPart(key: PublishedKey): PublishedKey {
  const { kty, n, e, crv, x, y } = key;
  return Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, value]) => value !== undefined));
}

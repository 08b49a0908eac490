import { constants, createHash, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenID Provider for tests that forges its ID tokens on request, on 127.0.0.1 only
 * (node:http and node:crypto, no library): discovery, an authorization endpoint that signs
 * the one account in at once, a token endpoint (client_secret_basic, PKCE S256), and its JWKS,
 * whose fetches it counts. No UserInfo endpoint, so the ID token's claims are all Sophon sees.
 *
 * Each sign-in's ID token is shaped by `nextIdToken` (then reset): signed properly with the
 * published key, or with another key under the published kid, `alg: none`, or HS256 keyed
 * with the published public key; with any claims overridden. `rotateKey` publishes a new key
 * under a new kid and retires the old one.
 */
export type Forgery =
  /** RS256 (or `alg`) with the key the JWKS publishes: a genuine token. */
  | 'genuine'
  /** RS256 signed with a key the provider doesn't publish, under the published kid. */
  | 'foreign key under the published kid'
  /** `alg: none`, no signature. */
  | 'alg none'
  /** HS256 with the published public key (PEM) as the HMAC secret: the classic algorithm confusion. */
  | 'HS256 keyed with the public key'
  /** RS256 with the key the provider published before `rotateKey` (no longer in the JWKS). */
  | 'retired key';

export interface NextIdToken {
  forgery?: Forgery;
  /** The JWS algorithm of a genuine token (the key is RSA): RS256 by default. */
  alg?: 'RS256' | 'RS384' | 'RS512' | 'PS256';
  /** Claims to override or add (`undefined` removes one). */
  claims?: Record<string, unknown>;
}

export interface RogueIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account every sign-in authenticates (the ID token's claims besides iss, aud, nonce, iat, exp). */
  account: Record<string, unknown>;
  /** Applies to the next ID token issued, then resets to a genuine one. */
  nextIdToken: NextIdToken;
  /** How many times the JWKS was requested. */
  readonly jwksFetches: number;
  /** The kid the JWKS publishes now. */
  readonly kid: string;
  /** A new key under a new kid replaces the published one; answers the new kid. */
  rotateKey(): string;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function jws(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: Buffer) => Buffer): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

function rsaSigner(alg: NonNullable<NextIdToken['alg']>, key: KeyObject): (input: Buffer) => Buffer {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS')) return (input) => sign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  return (input) => sign(hash, input, key);
}

export async function startRogueIdentityProvider(options: { signingAlgorithms?: string[] } = {}): Promise<RogueIdentityProvider> {
  const clientId = 'sophon';
  const clientSecret = 'a client secret for the rogue provider';
  // What the discovery document offers: the usual ones, and those a careless provider lists too.
  const signingAlgorithms = options.signingAlgorithms ?? ['RS256', 'ES256', 'PS256', 'RS512', 'HS256', 'none'];
  let current = newKey('rogue-key-1');
  let retired: SigningKey | undefined;
  let keyCount = 1;
  let jwksFetches = 0;
  const codes = new Map<string, { nonce: string | null; redirectUri: string; codeChallenge: string | null }>();

  const provider: RogueIdentityProvider = {
    issuer: '',
    clientId,
    clientSecret,
    account: { sub: 'rogue-subject', email: 'rogue@example.test', email_verified: true, name: 'Rogue Account' },
    nextIdToken: {},
    get jwksFetches() {
      return jwksFetches;
    },
    get kid() {
      return current.kid;
    },
    rotateKey() {
      retired = current;
      current = newKey(`rogue-key-${++keyCount}`);
      return current.kid;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  const idToken = (nonce: string | null): string => {
    const shape = provider.nextIdToken;
    provider.nextIdToken = {};
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iss: provider.issuer, aud: clientId, iat: now, exp: now + 3600, auth_time: now, ...provider.account, ...(nonce ? { nonce } : {}), ...shape.claims };
    for (const [claim, value] of Object.entries(payload)) if (value === undefined) delete payload[claim];
    const alg = shape.alg ?? 'RS256';
    switch (shape.forgery ?? 'genuine') {
      case 'genuine':
        return jws({ alg, kid: current.kid, typ: 'JWT' }, payload, rsaSigner(alg, current.privateKey));
      case 'foreign key under the published kid':
        return jws({ alg: 'RS256', kid: current.kid, typ: 'JWT' }, payload, rsaSigner('RS256', newKey('unpublished').privateKey));
      case 'alg none':
        return jws({ alg: 'none', typ: 'JWT' }, payload, () => Buffer.alloc(0));
      case 'HS256 keyed with the public key': {
        const secret = current.publicKey.export({ format: 'pem', type: 'spki' });
        return jws({ alg: 'HS256', kid: current.kid, typ: 'JWT' }, payload, (input) => createHmac('sha256', secret).update(input).digest());
      }
      case 'retired key':
        if (!retired) throw new Error('no key was retired yet: call rotateKey first');
        return jws({ alg: 'RS256', kid: retired.kid, typ: 'JWT' }, payload, rsaSigner('RS256', retired.privateKey));
    }
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String((error as Error).stack ?? error));
    });
  });

  const json = (response: http.ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', provider.issuer);
    if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(response, 200, {
        issuer: provider.issuer,
        authorization_endpoint: `${provider.issuer}/authorize`,
        token_endpoint: `${provider.issuer}/token`,
        jwks_uri: `${provider.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: signingAlgorithms,
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'email', 'profile'],
      });
    }
    if (request.method === 'GET' && url.pathname === '/jwks') {
      jwksFetches++;
      const jwk = current.publicKey.export({ format: 'jwk' });
      // No "alg" on the key: which algorithms may use it is for the relying party to decide.
      return json(response, 200, { keys: [{ ...jwk, kid: current.kid, use: 'sig' }] });
    }
    if (request.method === 'GET' && url.pathname === '/authorize') {
      const query = url.searchParams;
      if (query.get('client_id') !== clientId) return json(response, 400, { error: 'invalid_client' });
      const redirectUri = query.get('redirect_uri')!;
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { nonce: query.get('nonce'), redirectUri, codeChallenge: query.get('code_challenge') });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (query.get('state') !== null) back.searchParams.set('state', query.get('state')!);
      response.writeHead(302, { location: back.href }).end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/token') {
      if (!clientAuthenticated(request.headers.authorization)) return json(response, 401, { error: 'invalid_client' });
      const form = new URLSearchParams(await readBody(request));
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!grant || form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== grant.redirectUri) return json(response, 400, { error: 'invalid_grant' });
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (grant.codeChallenge !== challenge) return json(response, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      return json(response, 200, { access_token: randomBytes(16).toString('base64url'), token_type: 'Bearer', expires_in: 600, id_token: idToken(grant.nonce) });
    }
    json(response, 404, { error: 'not_found' });
  }

  /** client_secret_basic: id and secret form-encoded (RFC 6749 §2.3.1), then base64. */
  function clientAuthenticated(header: string | undefined): boolean {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const formDecode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    return separator > 0 && formDecode(decoded.slice(0, separator)) === clientId && formDecode(decoded.slice(separator + 1)) === clientSecret;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return provider;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

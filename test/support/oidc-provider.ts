import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID Provider (panva's oidc-provider) for tests, on 127.0.0.1 only: one static
 * confidential client, accounts the test controls (their email, email_verified and groups
 * can change between sign-ins), consent granted automatically, and a login "page" that a
 * test answers with a form post naming the account — no browser needed.
 */
export interface TestAccount {
  sub: string;
  email: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
}

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lifetime of the ID tokens it issues, in seconds. */
  idTokenTtl: number;
  accounts: Map<string, TestAccount>;
  /** Adds or replaces an account. */
  setAccount(account: TestAccount): void;
  /** Creates the provider once the relying party's redirect URI is known (its port is chosen at start). */
  register(redirectUri: string): void;
  close(): Promise<void>;
}

export async function startTestIdentityProvider(options: { idTokenTtl?: number } = {}): Promise<TestIdentityProvider> {
  const accounts = new Map<string, TestAccount>();
  const clientId = 'sophon';
  const clientSecret = 'a client secret for tests only';
  const idTokenTtl = options.idTokenTtl ?? 3600;
  let provider: Provider | undefined;
  let callback: ReturnType<Provider['callback']> | undefined;

  const server = http.createServer((request, response) => {
    if (!provider || !callback) {
      response.writeHead(503).end('not registered yet');
      return;
    }
    handle(provider, callback, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String((error as Error).stack ?? error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId,
    clientSecret,
    idTokenTtl,
    accounts,
    setAccount: (account) => accounts.set(account.sub, account),
    register(redirectUri) {
      provider = createProvider(issuer, { clientId, clientSecret, redirectUri, accounts, idTokenTtl });
      callback = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The login page: GET shows a sign-in form to a browser (or, to a script asking for JSON, the
 * interaction's id), POST …/login `account=<sub>` signs that account in, POST …/abort refuses.
 */
async function handle(provider: Provider, callback: ReturnType<Provider['callback']>, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const match = /^\/interaction\/([^/?]+)(\/login|\/abort)?/.exec(request.url ?? '');
  if (!match) return void (await callback(request, response));
  const details = await provider.interactionDetails(request, response);
  if (request.method === 'GET' && !match[2]) {
    if (request.headers.accept?.includes('text/html')) {
      const uid = encodeURIComponent(details.uid);
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>` +
          `<form method="post" action="/interaction/${uid}/login" aria-label="Identity provider sign-in">` +
          `<label>Account <input name="account" autocomplete="username"></label> <button type="submit">Continue</button></form>` +
          `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`,
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
    return;
  }
  if (match[2] === '/abort') {
    await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    return;
  }
  const form = new URLSearchParams(await readBody(request));
  const accountId = form.get('account') ?? '';
  await provider.interactionFinished(request, response, { login: { accountId } }, { mergeWithLastSubmission: false });
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * oidc-provider's storage, in memory, one per test provider (its built-in one is shared by the
 * whole process and warns at every start). Expiry is left to the provider's own checks.
 */
function memoryAdapterFactory() {
  const records = new Map<string, Record<string, unknown>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>) {
        records.set(key(id), payload);
        if (typeof payload.uid === 'string') byUid.set(payload.uid, id);
        if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
      },
      async find(id: string) {
        return records.get(key(id));
      },
      async findByUid(uid: string) {
        const id = byUid.get(uid);
        return id === undefined ? undefined : records.get(key(id));
      },
      async findByUserCode(userCode: string) {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : records.get(key(id));
      },
      async consume(id: string) {
        const payload = records.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        records.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [stored, payload] of records) if (payload.grantId === grantId) records.delete(stored);
      },
    };
  };
}

function createProvider(
  issuer: string,
  input: { clientId: string; clientSecret: string; redirectUri: string; accounts: Map<string, TestAccount>; idTokenTtl: number },
): Provider {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  return new Provider(issuer, {
    adapter: memoryAdapterFactory() as never,
    clients: [
      {
        client_id: input.clientId,
        client_secret: input.clientSecret,
        redirect_uris: [input.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['test cookie signing key'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    ttl: { IdToken: input.idTokenTtl, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(_context, sub) {
      const account = input.accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        // Read at each sign-in, so a test can change the groups between two.
        async claims() {
          const current = input.accounts.get(sub) ?? account;
          return {
            sub,
            email: current.email,
            email_verified: current.emailVerified ?? true,
            name: current.name ?? current.email.split('@')[0],
            groups: current.groups ?? [],
          };
        },
      };
    },
    // A first-party client: every requested scope is granted without a consent screen.
    async loadExistingGrant(context: KoaContextWithOIDC) {
      const { oidc } = context;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
      const grant = (grantId ? await oidc.provider.Grant.find(grantId) : undefined) ?? new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope(String(oidc.params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
  });
}

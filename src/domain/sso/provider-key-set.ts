import { keysFor, type IdTokenAlgorithm, type JwsHeader, type PublishedKey } from './id-token-signature.ts';
import { ssoProviderUnavailable, ssoTokenInvalid } from './sso-errors.ts';

/** How long a fetched key set is used before it is fetched again (so a key the provider withdraws stops working). */
const KEY_SET_MAX_AGE_MS = 10 * 60_000;

interface Fetched {
  keys: PublishedKey[];
  fetchedAt: number;
}

/**
 * The provider's signing keys, from its `jwks_uri`: fetched at the first verification, kept
 * for ten minutes, and fetched again at once when a token names a key the cached set doesn't
 * have (the provider rotated its keys) — at most once per token, concurrent fetches shared.
 * A key the fresh set doesn't have either refuses the token (SSO_TOKEN_INVALID).
 */
export class ProviderKeySet {
  readonly #uri: URL;
  readonly #timeoutMs: number;
  #fetched: Fetched | undefined;
  #fetching: Promise<Fetched> | undefined;

  constructor(uri: URL, timeoutMs: number) {
    this.#uri = uri;
    this.#timeoutMs = timeoutMs;
  }

  /** The one published key that can have made this signature. */
  async keyFor(header: JwsHeader & { alg: IdTokenAlgorithm }): Promise<PublishedKey> {
    let set = this.#fetched;
    let fresh = false;
    if (!set || Date.now() - set.fetchedAt >= KEY_SET_MAX_AGE_MS) {
      set = await this.#fetch();
      fresh = true;
    }
    let candidates = keysFor(header, set.keys);
    if (candidates.length === 0 && !fresh) {
      // An unknown key: the provider may have rotated its keys since (unless another sign-in has just fetched them again).
      set = this.#fetched !== set ? this.#fetched! : await this.#fetch();
      candidates = keysFor(header, set.keys);
    }
    const named = header.kid === undefined ? 'and the token names no key (no "kid")' : `(kid "${header.kid.slice(0, 100)}")`;
    if (candidates.length === 0) throw ssoTokenInvalid(`the ID token is signed with a ${header.alg} key the provider does not publish at ${this.#uri.href} ${named}`, 'signing_key');
    if (candidates.length > 1) throw ssoTokenInvalid(`several of the provider's keys fit the ID token's ${header.alg} signature ${named}`, 'signing_key');
    return candidates[0]!;
  }

  #fetch(): Promise<Fetched> {
    this.#fetching ??= this.#download()
      .then((fetched) => {
        this.#fetched = fetched;
        return fetched;
      })
      .finally(() => {
        this.#fetching = undefined;
      });
    return this.#fetching;
  }

  async #download(): Promise<Fetched> {
    const where = `its key set (${this.#uri.href})`;
    let response: Response;
    try {
      response = await fetch(this.#uri, { headers: { accept: 'application/jwk-set+json, application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name;
      const reason = name === 'TimeoutError' || name === 'AbortError' ? 'did not answer in time' : `can't be fetched: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`;
      throw ssoProviderUnavailable(`${where} ${reason}`);
    }
    if (!response.ok) throw ssoProviderUnavailable(`${where} answered ${response.status}`);
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw ssoProviderUnavailable(`${where} is not JSON`);
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw ssoProviderUnavailable(`${where} is not a JSON Web Key Set`);
    return { keys: keys.filter((key): key is PublishedKey => typeof key === 'object' && key !== null && !Array.isArray(key)), fetchedAt: Date.now() };
  }
}

import * as oidc from 'openid-client';
import { DomainError } from '../errors.ts';
import { checkAlgorithm, jwsHeaderOf, verifySignature } from './id-token-signature.ts';
import type { AuthorizationRequest, IdentityProvider, VerifiedIdentity } from './identity-provider.ts';
import { ProviderKeySet } from './provider-key-set.ts';
import { ssoProviderError, ssoProviderUnavailable, ssoTokenInvalid } from './sso-errors.ts';
import type { SsoSettings } from './sso-settings.ts';

/** Seconds to wait for the provider (discovery, token, UserInfo, JWKS) before calling it unavailable. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** What discovery settles: the library's configuration, the ID token algorithms accepted, and where the keys are. */
interface Discovered {
  configuration: oidc.Configuration;
  /** `Sophon:Auth:Sso:IdTokenAlgorithms` narrowed to the provider's `id_token_signing_alg_values_supported`. */
  algorithms: readonly string[];
  keys: ProviderKeySet;
}

/**
 * An OpenID Provider through openid-client: discovery from the issuer, the authorization
 * code flow with PKCE (S256), `state` and `nonce`, and the UserInfo endpoint for claims the
 * provider keeps out of the ID token. Discovery happens at the first sign-in (the server
 * starts even when the provider is down) and is retried until it succeeds.
 *
 * openid-client checks the ID token's claims (issuer, audience, azp, nonce, exp, auth_time)
 * but, unless its non-repudiation checks are on, not its signature. Those checks would fetch
 * the JWKS again for an unknown kid only once the cached set is a minute old, and restrict
 * algorithms only to what the provider lists (`none` included). So the signature is verified
 * here: the algorithm must be one allowed, the key the provider's (fetched again at once when
 * the token names a kid the cached set lacks), the signature valid (id-token-signature.ts).
 */
export class OpenIdConnectProvider implements IdentityProvider {
  readonly issuer: string;
  readonly #settings: SsoSettings;
  #discovered: Promise<Discovered> | undefined;

  constructor(settings: SsoSettings) {
    this.#settings = settings;
    this.issuer = settings.issuer;
  }

  async startAuthorization(redirectUri: string): Promise<AuthorizationRequest> {
    const { configuration } = await this.#configure();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: this.#settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (this.#settings.maxAge !== undefined) parameters.max_age = String(Math.floor(this.#settings.maxAge / 1000));
    return { url: oidc.buildAuthorizationUrl(configuration, parameters).href, state, nonce, codeVerifier };
  }

  async finishAuthorization(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<VerifiedIdentity> {
    const { configuration, algorithms, keys } = await this.#configure();
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
        ...(this.#settings.maxAge === undefined ? {} : { maxAge: Math.floor(this.#settings.maxAge / 1000) }),
      });
      const idToken = tokens.claims();
      if (!idToken || !tokens.id_token) throw ssoTokenInvalid('no ID token');
      // The signature, before anything the token says is used (or UserInfo asked with its access token).
      const header = jwsHeaderOf(tokens.id_token);
      checkAlgorithm(header, algorithms);
      verifySignature(tokens.id_token, header, await keys.keyFor(header));
      let claims: Record<string, unknown> = { ...idToken };
      // Many providers put profile, email and group claims only in UserInfo when an access token is issued.
      if (tokens.access_token && configuration.serverMetadata().userinfo_endpoint) {
        const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        claims = { ...userInfo, ...idToken };
      }
      return {
        issuer: idToken.iss,
        subject: idToken.sub,
        claims,
        idTokenExpiresAt: idToken.exp * 1000,
        issuedAt: idToken.iat * 1000,
        authTime: typeof idToken.auth_time === 'number' ? idToken.auth_time * 1000 : null,
      };
    } catch (error) {
      throw domainErrorOf(error);
    }
  }

  /** Discovery once; a failure is forgotten, so the next sign-in tries again. */
  #configure(): Promise<Discovered> {
    this.#discovered ??= this.#discover().catch((error: unknown) => {
      this.#discovered = undefined;
      const mapped = domainErrorOf(error);
      // Whatever went wrong with discovery (unreachable, not an OpenID Provider, another issuer), sign-in can't start.
      throw mapped.code === 'SSO_PROVIDER_UNAVAILABLE' ? mapped : ssoProviderUnavailable(`discovery at ${this.issuer} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.#discovered;
  }

  async #discover(): Promise<Discovered> {
    const { issuer, clientId, clientSecret, idTokenAlgorithms } = this.#settings;
    // The https rule is enforced on the setting (http only on a loopback address); here it is the library's too.
    const insecure = new URL(issuer).protocol === 'http:';
    const options = { timeout: PROVIDER_TIMEOUT_SECONDS, execute: insecure ? [oidc.allowInsecureRequests] : [] };
    const discovered = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), options);
    const server = discovered.serverMetadata();
    // A provider that lists no algorithms signs with RS256, the default of the standard (OpenID Connect Registration §2).
    const offered = server.id_token_signing_alg_values_supported ?? ['RS256'];
    const algorithms = idTokenAlgorithms.filter((algorithm) => offered.includes(algorithm));
    if (algorithms.length === 0) {
      throw ssoProviderUnavailable(
        `the provider signs ID tokens with none of the algorithms Sophon:Auth:Sso:IdTokenAlgorithms allows (${idTokenAlgorithms.join(', ')}); it offers ${offered.join(', ') || 'none'}`,
      );
    }
    const keys = new ProviderKeySet(jwksUriOf(server, insecure), PROVIDER_TIMEOUT_SECONDS * 1000);
    const metadata: Partial<oidc.ClientMetadata> = clientSecret === undefined ? {} : { client_secret: clientSecret };
    const configuration = new oidc.Configuration(server, clientId, metadata, clientAuthentication(server, clientSecret));
    configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
    if (insecure) oidc.allowInsecureRequests(configuration);
    return { configuration, algorithms, keys };
  }
}

/** The provider's `jwks_uri`: required (its keys verify every ID token), https unless the issuer itself is on loopback http. */
function jwksUriOf(server: oidc.ServerMetadata, insecure: boolean): URL {
  if (!server.jwks_uri) throw ssoProviderUnavailable("its discovery document names no jwks_uri, so its ID tokens' signatures can't be verified");
  let uri: URL;
  try {
    uri = new URL(server.jwks_uri);
  } catch {
    throw ssoProviderUnavailable(`its jwks_uri "${server.jwks_uri.slice(0, 200)}" is not a URL`);
  }
  if (uri.protocol !== 'https:' && !(insecure && uri.protocol === 'http:')) throw ssoProviderUnavailable(`its jwks_uri ${uri.href} is not https://`);
  return uri;
}

/** client_secret_basic when offered (the default of the standard), else client_secret_post; no secret: a public client. */
function clientAuthentication(server: oidc.ServerMetadata, clientSecret: string | undefined): oidc.ClientAuth {
  if (clientSecret === undefined) return oidc.None();
  const supported = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (!supported.includes('client_secret_basic') && supported.includes('client_secret_post')) return oidc.ClientSecretPost(clientSecret);
  return oidc.ClientSecretBasic(clientSecret);
}

/** Sorts the library's failures into: the provider can't be reached, it refused, or its answer is invalid. */
function domainErrorOf(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return ssoProviderError(`${error.error}${error.error_description ? ` (${error.error_description})` : ''}`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500) return ssoProviderUnavailable(`it answered ${error.status}`);
    return ssoProviderError(`${error.error}${error.error_description ? ` (${error.error_description})` : ''}`);
  }
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return ssoProviderUnavailable('it did not answer in time');
  if (error instanceof TypeError && error.cause !== undefined) return ssoProviderUnavailable((error.cause as Error).message ?? error.message);
  if (error instanceof oidc.ClientError) {
    if (error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || error.code === 'OAUTH_RESPONSE_IS_NOT_JSON') return ssoProviderUnavailable(error.message);
    return ssoTokenInvalid(error.message);
  }
  return ssoTokenInvalid(error instanceof Error ? error.message : String(error));
}

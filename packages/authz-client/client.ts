import type { Permission } from './permissions.ts';

/** Sophon's one error envelope (src/http/errors.ts): a stable code, a message a person can act on, details. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/**
 * The end user's credential, as the calling service received it, forwarded to Sophon as is.
 * A string is an API token (`sph_…`, with or without `Bearer `).
 */
export type Credential =
  | string
  | {
      /** The incoming `Authorization` header (`Bearer sph_…`). A token wins over a cookie. */
      authorization?: string;
      /** The incoming `Cookie` header; only Sophon's own cookies are forwarded. */
      cookie?: string;
      /** `X-CSRF-Token`: Sophon asks it of every cookie-authenticated POST, the check included. */
      csrfToken?: string;
      /** The browser's `Origin` and `Sec-Fetch-Site`, for Sophon's same-origin rule on cookie writes. */
      origin?: string;
      secFetchSite?: string;
    };

export interface AuthorizationQuestion {
  permission: Permission;
  /** A tenant slug or id; the credential's request tenant (its home) when absent. */
  tenant?: string;
  /** Ask about this user (an id) instead of the credential's holder: needs ViewUsers in the tenant. */
  user?: string;
}

export type AuthorizationAnswer =
  | { allowed: true; role: string; tenant: string; evaluatedIn: string }
  | { allowed: false; reason: 'PERMISSION_MISSING'; missingPermission: Permission; tenant: string; evaluatedIn: string; message: string }
  | { allowed: false; reason: 'TENANT_NOT_FOUND' | 'USER_SUSPENDED'; tenant: string; message: string };

/** Sophon refused the question itself (401, 400, 403 CSRF…), or couldn't be reached (503): `status` and `body` are what to answer. */
export class SophonAuthzError extends Error {
  override name = 'SophonAuthzError';
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(`${status} ${body.error.code}: ${body.error.message}`);
    this.status = status;
    this.body = body;
  }
}

export interface SophonAuthzOptions {
  /** Where Sophon answers, e.g. `http://sophon.internal:8080` (without `/api/v1`). */
  baseUrl: string;
  /** Replaces the global fetch (tests, a proxy agent). */
  fetch?: typeof fetch;
}

export interface SophonAuthz {
  /** May the credential's holder use `permission` in `tenant`? */
  check(credential: Credential, permission: Permission, tenant?: string): Promise<AuthorizationAnswer>;
  /** Up to 100 questions in one round trip, answered in order. */
  checkMany(credential: Credential, questions: readonly AuthorizationQuestion[]): Promise<AuthorizationAnswer[]>;
}

export const MAX_CHECKS_PER_REQUEST = 100;
const SOPHON_COOKIES = new Set(['sophon_session', 'sophon_csrf']);

export function createSophonAuthzClient(options: SophonAuthzOptions): SophonAuthz {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/api/v1/authz/check`;
  const send = options.fetch ?? fetch;

  async function ask(credential: Credential, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      // Never follow a redirect: an answer from anywhere but Sophon itself is not an authorization.
      response = await send(endpoint, { method: 'POST', redirect: 'error', headers: { 'content-type': 'application/json', ...headersOf(credential) }, body: JSON.stringify(body) });
    } catch (error) {
      throw unavailable(`Sophon could not be reached at ${options.baseUrl} (${(error as Error).message}).`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.status === 200 && typeof parsed === 'object' && parsed !== null) return parsed;
    if (response.status >= 400 && response.status < 500 && isErrorBody(parsed)) throw new SophonAuthzError(response.status, parsed);
    // A 5xx, or anything that isn't Sophon's answer: deny, and say it's Sophon's side.
    throw unavailable(`Sophon answered ${response.status} to the authorization check.`);
  }

  return {
    async check(credential, permission, tenant) {
      return (await ask(credential, tenant === undefined ? { permission } : { permission, tenant })) as AuthorizationAnswer;
    },
    async checkMany(credential, questions) {
      if (questions.length === 0) return [];
      const answers: AuthorizationAnswer[] = [];
      // More than Sophon takes at once: in slices, still in order.
      for (let start = 0; start < questions.length; start += MAX_CHECKS_PER_REQUEST) {
        const slice = questions.slice(start, start + MAX_CHECKS_PER_REQUEST);
        answers.push(...((await ask(credential, { checks: slice })) as { results: AuthorizationAnswer[] }).results);
      }
      return answers;
    },
  };
}

/** The headers that carry the credential to Sophon; nothing else of the incoming request goes along. */
function headersOf(credential: Credential): Record<string, string> {
  if (typeof credential === 'string') return { authorization: /^Bearer\s/i.test(credential) ? credential : `Bearer ${credential}` };
  const headers: Record<string, string> = {};
  if (credential.authorization) headers.authorization = credential.authorization;
  const cookie = credential.cookie ? sophonCookies(credential.cookie) : '';
  if (cookie) headers.cookie = cookie;
  if (credential.csrfToken) headers['x-csrf-token'] = credential.csrfToken;
  if (credential.origin) headers.origin = credential.origin;
  if (credential.secFetchSite) headers['sec-fetch-site'] = credential.secFetchSite;
  return headers;
}

/** Only Sophon's own cookies: the calling service's cookies are none of Sophon's business. */
export function sophonCookies(header: string): string {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => SOPHON_COOKIES.has(part.slice(0, part.indexOf('=')).trim()))
    .join('; ');
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as ErrorBody | undefined)?.error;
  return typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string';
}

function unavailable(message: string): SophonAuthzError {
  return new SophonAuthzError(503, { error: { code: 'AUTHORIZATION_UNAVAILABLE', message } });
}

import type { ErrorCode } from '../../src/domain/error-catalogue.ts';
/**
 * The dashboard's one door to the HTTP API: same origin, the session cookie rides along,
 * every write carries the CSRF token from the readable `sophon_csrf` cookie, and the
 * acting tenant goes in X-Sophon-Tenant.
 */

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** One of the server's catalogue (src/domain/error-catalogue.ts), or the dashboard's own for a failure that never reached it. */
  readonly code: ErrorCode | (string & {});
  readonly missingPermission: string | undefined;

  constructor(status: number, code: string, message: string, missingPermission?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.missingPermission = missingPermission;
  }
}

/** Whether `error` is the server's answer with this code of its catalogue (typed: a renamed or removed code fails the type check here, as a string compared with ApiError.code would not). */
export function hasErrorCode(error: unknown, code: ErrorCode): error is ApiError {
  return error instanceof ApiError && error.code === code;
}

const TENANT_KEY = 'sophon.tenant';

/** The tenant the dashboard acts in (a slug); the caller's home tenant when unset. */
export function actingTenant(): string | undefined {
  return sessionStorage.getItem(TENANT_KEY) ?? undefined;
}

export function setActingTenant(slug: string | undefined): void {
  if (slug) sessionStorage.setItem(TENANT_KEY, slug);
  else sessionStorage.removeItem(TENANT_KEY);
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'sophon_csrf') return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * Whether this browser may hold a session: sign-in sets the readable `sophon_csrf` cookie beside
 * the HttpOnly session cookie, and sign-out clears both. Without it the dashboard shows the
 * sign-in page without asking /me (whose 401 would be a console error on every signed-out visit).
 */
export function maybeSignedIn(): boolean {
  return csrfToken() !== undefined;
}

type Listener = (error: ApiError) => void;
let onUnauthenticated: Listener | undefined;

/** Called when the API says the session is gone, so the app can return to the sign-in page. */
export function handleUnauthenticated(listener: Listener | undefined): void {
  onUnauthenticated = listener;
}

export interface RequestOptions {
  /** Act in this tenant instead of the selected one (e.g. setting a user's role in another tenant). */
  tenant?: string;
  /** Raw body (avatar bytes) with its content type. */
  raw?: { body: Blob; contentType: string };
}

export async function api<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const tenant = options.tenant ?? actingTenant();
  if (tenant) headers['x-sophon-tenant'] = tenant;
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let payload: BodyInit | undefined;
  if (options.raw) {
    headers['content-type'] = options.raw.contentType;
    payload = options.raw.body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) throw failureOf(response, parsed, path);
  return parsed as T;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The API's error envelope as an ApiError; a 401 also tells the app the session is gone. */
function failureOf(response: Response, parsed: unknown, path: string): ApiError {
  const error = (parsed as { error?: { code?: string; message?: string; missingPermission?: string } } | undefined)?.error;
  const failure = new ApiError(
    response.status,
    error?.code ?? 'HTTP_' + response.status,
    error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
    error?.missingPermission,
  );
  if (response.status === 401 && path !== '/api/v1/auth/login') onUnauthenticated?.(failure);
  return failure;
}

/**
 * Downloads a file the API answers as an attachment (a CSV or JSON export). A plain link
 * couldn't carry X-Sophon-Tenant, so the file is fetched like any request and handed to the
 * browser as a Blob, under the name the server's Content-Disposition gives it.
 */
export async function download(path: string, fallbackName: string, options: Pick<RequestOptions, 'tenant'> = {}): Promise<string> {
  const headers: Record<string, string> = {};
  const tenant = options.tenant ?? actingTenant();
  if (tenant) headers['x-sophon-tenant'] = tenant;
  const response = await fetch(path, { headers, credentials: 'same-origin' });
  if (!response.ok) throw failureOf(response, parseJson(await response.text()), path);
  const blob = await response.blob();
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The browser has taken the file by then; the Blob's memory is freed afterwards.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
  return name;
}

export const get = <T>(path: string, options?: RequestOptions) => api<T>('GET', path, undefined, options);
export const post = <T>(path: string, body: unknown = {}, options?: RequestOptions) => api<T>('POST', path, body, options);
export const put = <T>(path: string, body: unknown = {}, options?: RequestOptions) => api<T>('PUT', path, body, options);
export const patch = <T>(path: string, body: unknown = {}, options?: RequestOptions) => api<T>('PATCH', path, body, options);
export const del = <T = void>(path: string, options?: RequestOptions) => api<T>('DELETE', path, undefined, options);

/** Builds a query string from the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? '?' + text : '';
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

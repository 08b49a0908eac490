import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Endpoint } from './endpoints.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import type { ErrorCode } from '../domain/error-catalogue.ts';

export type Credential = { kind: 'token'; token: string } | { kind: 'session'; cookie: string; csrf: string } | { kind: 'none' };

export interface RequestInput {
  /** Values for the `:name` placeholders of the endpoint's path. */
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** A body sent as it is instead of JSON (a CSV file); a stream goes as it is read, never held whole. */
  raw?: { content: string | Readable; contentType: string };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  /** The Set-Cookie lines (the login's session cookie). */
  setCookies: string[];
}

/** The API's error envelope: `{"error": {"code", "message", "missingPermission"?}}`. */
interface ErrorEnvelope {
  error?: { code?: string; message?: string; missingPermission?: string; tenant?: string };
}

export const cliVersion: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

const REQUEST_TIMEOUT_MS = 60_000;

/** Speaks to the Sophon HTTP API with one credential, in one tenant (X-Sophon-Tenant). */
export class HttpClient {
  readonly baseUrl: string;
  readonly credential: Credential;
  readonly tenant: string | undefined;

  constructor(baseUrl: string, credential: Credential, tenant?: string) {
    this.baseUrl = baseUrl;
    this.credential = credential;
    this.tenant = tenant;
  }

  withCredential(credential: Credential): HttpClient {
    return new HttpClient(this.baseUrl, credential, this.tenant);
  }

  /** Sends the request; an error answer becomes a CliError with the exit code of its kind. */
  async send<T = unknown>(endpoint: Endpoint, input: RequestInput = {}): Promise<ApiResponse<T>> {
    const url = this.baseUrl + pathOf(endpoint, input);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `sophon-cli/${cliVersion}` };
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    if (input.raw) headers['content-type'] = input.raw.contentType;
    if (this.credential.kind === 'token') headers.authorization = `Bearer ${this.credential.token}`;
    if (this.credential.kind === 'session') {
      headers.cookie = this.credential.cookie;
      if (endpoint.method !== 'GET') headers['x-csrf-token'] = this.credential.csrf;
    }
    if (this.tenant) headers['x-sophon-tenant'] = this.tenant;

    let response: RawResponse;
    try {
      response = await transmit(new URL(url), endpoint.method, headers, input.raw ? input.raw.content : input.body === undefined ? undefined : JSON.stringify(input.body));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new CliError(ExitCode.ServerError, `cannot reach the Sophon server at ${this.baseUrl} (${reason}). Is it running? Set --url or SOPHON_URL.`);
    }
    let body: unknown = response.text;
    try {
      body = response.text ? JSON.parse(response.text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (response.status < 200 || response.status > 299) throw errorOf(response.status, body, endpoint, this);
    return { status: response.status, body: body as T, setCookies: response.setCookies };
  }

  /**
   * A GET whose answer is a file (an export): a successful answer's body goes, as it arrives,
   * into the sink `open` gives (asked for only then, so an error answer creates no file), and a
   * file of any size passes in constant memory; an error answer becomes a CliError as with
   * send. Resolves once the sink has taken everything (and, unless `end` is false, been
   * closed); a connection cut midway rejects, saying the output is incomplete.
   */
  async download(endpoint: Endpoint, input: RequestInput, open: () => Promise<Writable>, options: { end?: boolean } = {}): Promise<{ contentType: string | undefined }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `sophon-cli/${cliVersion}` };
    if (this.credential.kind === 'token') headers.authorization = `Bearer ${this.credential.token}`;
    if (this.credential.kind === 'session') headers.cookie = this.credential.cookie;
    if (this.tenant) headers['x-sophon-tenant'] = this.tenant;
    const url = new URL(this.baseUrl + pathOf(endpoint, input));
    const transport = url.protocol === 'https:' ? https : http;
    let response: http.IncomingMessage;
    try {
      response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const request = transport.request(url, { method: endpoint.method, headers, timeout: REQUEST_TIMEOUT_MS }, resolve);
        request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        request.on('error', reject);
        request.end();
      });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new CliError(ExitCode.ServerError, `cannot reach the Sophon server at ${this.baseUrl} (${reason}). Is it running? Set --url or SOPHON_URL.`);
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      throw errorOf(status, body, endpoint, this);
    }
    const sink = await open();
    try {
      await pipeline(response, sink, { end: options.end ?? true });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new CliError(ExitCode.ServerError, `the answer of ${endpoint.method} ${endpoint.path} was cut off (${reason}): what was written is incomplete.`);
    }
    const contentType = response.headers['content-type'];
    return { contentType };
  }
}

interface RawResponse {
  status: number;
  text: string;
  setCookies: string[];
}

/** node:http rather than fetch: it starts faster, and a CLI process lives for a few requests. */
function transmit(url: URL, method: string, headers: Record<string, string>, body: string | Readable | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const sent = body === undefined || body instanceof Readable ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = transport.request(url, { method, headers: sent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), setCookies: response.headers['set-cookie'] ?? [] }));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    if (!(body instanceof Readable)) {
      request.end(body);
      return;
    }
    // A file streamed as it is read (chunked); an error reading it ends the request with that error.
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}

function pathOf(endpoint: Endpoint, input: RequestInput): string {
  const path = endpoint.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = input.params?.[name];
    if (value === undefined) throw new Error(`programming error: ${endpoint.path} needs :${name}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(input.query ?? {})) if (value !== undefined) query.set(key, String(value));
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

function errorOf(status: number, body: unknown, endpoint: Endpoint, client: HttpClient): CliError {
  const error = (typeof body === 'object' && body !== null ? (body as ErrorEnvelope).error : undefined) ?? {};
  const code = error.code;
  const message = error.message ?? (typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}`);
  if (code === ('ROUTE_NOT_FOUND' satisfies ErrorCode)) {
    return new CliError(ExitCode.ServerError, `the server at ${client.baseUrl} does not offer ${endpoint.method} ${endpoint.path}; it may be older than this CLI (${cliVersion}).`, code);
  }
  if (status === 401) {
    const signingIn = endpoint.path.startsWith('/api/v1/auth/login');
    const hint = client.credential.kind === 'none' && !signingIn ? ' Run "sophon auth login", or pass --token / set SOPHON_TOKEN.' : '';
    return new CliError(ExitCode.PermissionDenied, `not signed in: ${message}${hint}`, code);
  }
  if (status === 403) {
    const hints: Partial<Record<ErrorCode, string>> = { PASSWORD_CHANGE_REQUIRED: ' Run "sophon auth password".', TWO_FACTOR_ENROLLMENT_REQUIRED: ' Run "sophon auth 2fa enable".' };
    const hint = (code && hints[code as ErrorCode]) ?? '';
    return new CliError(ExitCode.PermissionDenied, `permission denied: ${message}${hint}`, code);
  }
  if (status === 404) return new CliError(ExitCode.NotFound, `not found: ${message}`, code);
  if (status >= 500) return new CliError(ExitCode.ServerError, `server error (HTTP ${status}): ${message}`, code);
  return new CliError(ExitCode.Failure, code ? `${message} (${code})` : message, code);
}

/** A small HTTP client for tests: speaks to the real server, keeps a session cookie or a token. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Credential {
  token?: string;
  cookie?: string;
  csrf?: string;
}

/** A body sent as it is, with its own media type (a CSV file, an image). */
export class RawBody {
  readonly content: string;
  readonly contentType: string;
  constructor(content: string, contentType: string) {
    this.content = content;
    this.contentType = contentType;
  }
}

export class ApiClient {
  readonly baseUrl: string;
  readonly credential: Credential;
  readonly tenant: string | undefined;

  constructor(baseUrl: string, credential: Credential = {}, tenant?: string) {
    this.baseUrl = baseUrl;
    this.credential = credential;
    this.tenant = tenant;
  }

  /** The same caller acting in another tenant (X-Sophon-Tenant). */
  inTenant(tenant: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, this.credential, tenant);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const sent: Record<string, string> = { ...headers };
    const raw = body instanceof RawBody;
    if (body !== undefined) sent['content-type'] = raw ? body.contentType : 'application/json';
    if (this.credential.token) sent.authorization = `Bearer ${this.credential.token}`;
    if (this.credential.cookie) sent.cookie = this.credential.cookie;
    if (this.credential.csrf && method !== 'GET') sent['x-csrf-token'] = this.credential.csrf;
    if (this.tenant) sent['x-sophon-tenant'] = this.tenant;
    const response = await fetch(this.baseUrl + path, { method, headers: sent, body: body === undefined ? undefined : raw ? body.content : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body ?? {});
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body ?? {});
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** Signs in with email and password; the client carries the session cookie and the CSRF token. */
export async function login(baseUrl: string, email: string, password: string): Promise<{ client: ApiClient; response: ApiResponse }> {
  const response = await new ApiClient(baseUrl).post('/api/v1/auth/login', { email, password });
  if (response.status !== 200) return { client: new ApiClient(baseUrl), response };
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0]!);
  const cookie = cookies.filter((line) => line.startsWith('sophon_session=')).join('; ');
  return { client: new ApiClient(baseUrl, { cookie, csrf: response.body.csrfToken }), response };
}

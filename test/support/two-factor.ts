import { ApiClient, type ApiResponse } from './api-client.ts';
import { Authenticator } from './authenticator.ts';
import type { TestServer } from './harness.ts';

/** The cookies a response set, as name → value. */
export function cookiesOf(response: ApiResponse): Record<string, string> {
  return Object.fromEntries(
    response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** A client carrying the session a login response opened (cookie and CSRF token). */
export function sessionClient(baseUrl: string, response: ApiResponse): ApiClient {
  const session = cookiesOf(response).sophon_session;
  if (!session) throw new Error(`no session cookie in ${JSON.stringify(response.body)}`);
  return new ApiClient(baseUrl, { cookie: `sophon_session=${session}`, csrf: response.body.csrfToken });
}

/** Enrols the caller's authenticator as a user would: start, scan the URI, confirm with a code and the password. */
export async function enrol(test: TestServer, client: ApiClient, password: string): Promise<{ app: Authenticator; recoveryCodes: string[] }> {
  const started = await client.post('/api/v1/me/two-factor/enrollment');
  if (started.status !== 201) throw new Error(`enrolment start: ${started.status} ${JSON.stringify(started.body)}`);
  const app = Authenticator.scan(started.body.otpauthUri);
  const confirmed = await client.post('/api/v1/me/two-factor/enrollment/confirm', { code: app.codeAt(test.clock.now().getTime()), currentPassword: password });
  if (confirmed.status !== 200) throw new Error(`enrolment confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return { app, recoveryCodes: confirmed.body.recoveryCodes };
}

/** Both sign-in steps; `factor` is sent with the challenge of the first. */
export async function signInWithSecondFactor(
  baseUrl: string,
  email: string,
  password: string,
  factor: { code: string } | { recoveryCode: string },
  headers: Record<string, string> = {},
): Promise<{ first: ApiResponse; second: ApiResponse; client?: ApiClient }> {
  const anonymous = new ApiClient(baseUrl);
  const first = await anonymous.request('POST', '/api/v1/auth/login', { email, password }, headers);
  if (first.status !== 200 || !first.body.twoFactorRequired) throw new Error(`first step: ${first.status} ${JSON.stringify(first.body)}`);
  const second = await anonymous.request('POST', '/api/v1/auth/login/two-factor', { challenge: first.body.challenge, ...factor }, headers);
  return { first, second, client: second.status === 200 ? sessionClient(baseUrl, second) : undefined };
}

import { defineErrorCodes } from './errors.ts';

/** The error codes of requests as such (credentials, the envelope, the body, the URL), whatever the route: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const requestsErrorCodes = defineErrorCodes({
  ASSET_NOT_FOUND: { kind: 'not_found', message: 'No dashboard asset "{file}"; reload the page to get the current build.' },
  AUTHENTICATION_REQUIRED: { kind: 'unauthenticated', message: 'Sign in, or send an API token as "Authorization: Bearer <token>".' },
  AUTHORIZATION_HEADER_INVALID: { kind: 'unauthenticated', message: 'The Authorization header must be "Bearer <token>".' },
  CSRF_TOKEN_INVALID: { kind: 'forbidden', message: 'Send the {CSRF_HEADER} header with the token you received at login (also in the {CSRF_COOKIE} cookie).' },
  DASHBOARD_NOT_BUILT: { kind: 'unavailable', message: 'The Sophon dashboard is not built: web/dist/index.html is missing. Run `npm run build:web` (or `npm start`, which builds it first), then reload. The API under /api works regardless.' },
  DATABASE_SCHEMA_BEHIND: { kind: 'unavailable', message: 'Not ready: the database lacks the migration(s) {migrations}, applied when this server started; was it restored from an older backup? Restart the server to migrate it again.' },
  DATABASE_UNREACHABLE: { kind: 'unavailable', message: 'Not ready: the database does not answer ({reason}).' },
  NUL_CHARACTER: { kind: 'invalid', message: 'Text must not contain NUL (U+0000) characters.' },
  ORIGIN_MISMATCH: { kind: 'forbidden', message: 'This request came from another site ({seen}). A change made with Sophon\'s session cookie must come from Sophon\'s own pages, at {expected}; a script should send an API token instead.' },
  // Answered by the HTTP layer itself (src/http/app.ts, src/http/errors.ts), not thrown by a command.
  VALIDATION_FAILED: { kind: 'invalid', message: '{problems}' },
  INVALID_JSON: { kind: 'invalid', message: '{detail}' },
  BAD_REQUEST: { kind: 'invalid', message: '{detail}' },
  BODY_TOO_LARGE: { kind: 'too_large', message: '{detail}' },
  UNSUPPORTED_MEDIA_TYPE: { kind: 'unsupported_media_type', message: '{detail}' },
  URL_INVALID: { kind: 'invalid', message: 'This URL is not valid; check its percent-encoding.' },
  URL_PARAMETER_TOO_LONG: { kind: 'uri_too_long', message: 'A path parameter of this URL is too long (at most 100 characters).' },
  ROUTE_NOT_FOUND: { kind: 'not_found', message: 'No route {method} {path}.' },
  CONFLICT: { kind: 'conflict', message: 'That conflicts with a change made at the same moment; reload and try again.' },
  INTERNAL: { kind: 'internal', message: 'Something went wrong on the server; the error was logged.' },
  // Only with AppOptions.checkResponses (every test server): the answer drifted from its declared shape.
  RESPONSE_SCHEMA_MISMATCH: { kind: 'internal', message: 'The answer of {route} does not match the response schema it declares (src/http/schemas/): {problems}' },
});

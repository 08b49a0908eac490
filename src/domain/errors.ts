/**
 * Domain errors carry a stable, greppable code and a message a person can act on.
 * `kind` says what sort of failure it is; the HTTP layer maps kinds to statuses in
 * one place, the CLI maps them to exit codes.
 */
export type ErrorKind =
  | 'invalid' // 400: the input is wrong
  | 'unauthenticated' // 401: no valid credential
  | 'forbidden' // 403: the caller may not do this
  | 'not_found' // 404: it doesn't exist, or the caller can't see it
  | 'conflict' // 409: the current state forbids it
  | 'too_large' // 413
  | 'rate_limited' // 429: too many requests from this client; `details.retryAfterSeconds` says when to try again
  | 'unavailable' // 503: the server can't do it now (e.g. a missing key); an operator must act
  // Answered by the HTTP layer only:
  | 'uri_too_long' // 414
  | 'unsupported_media_type' // 415
  | 'internal'; // 500: a defect, logged on the server

export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(kind: ErrorKind, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const invalid = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('invalid', code, message, details);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const forbidden = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('forbidden', code, message, details);
export const unauthenticated = (code: string, message: string) => new DomainError('unauthenticated', code, message);

/** One error code as its concept declares it: the kind (which sets the HTTP status) and the message, with {name} for each value the thrower gives. */
export interface ErrorCodeSpec {
  readonly kind: ErrorKind;
  readonly message: string;
}

/** Declares a concept's error codes once (better-auth's defineErrorCodes): see error-catalogue.ts, which gathers them and builds the errors. */
export function defineErrorCodes<const T extends Record<string, ErrorCodeSpec>>(codes: T): T {
  return codes;
}

import { DomainError } from './errors.ts';
import { accessErrorCodes } from './access/error-codes.ts';
import { csvErrorCodes } from './csv-error-codes.ts';
import { requestsErrorCodes } from './request-error-codes.ts';
import { resourcesErrorCodes } from './resources/error-codes.ts';
import { rolesErrorCodes } from './roles/error-codes.ts';
import { sessionsErrorCodes } from './sessions/error-codes.ts';
import { ssoErrorCodes } from './sso/error-codes.ts';
import { tenantsErrorCodes } from './tenants/error-codes.ts';
import { tokensErrorCodes } from './tokens/error-codes.ts';
import { twoFactorErrorCodes } from './two-factor/error-codes.ts';
import { usersErrorCodes } from './users/error-codes.ts';

/**
 * Every error code the server answers with, gathered from the concepts that declare them (each
 * code once: its kind, hence its HTTP status, and its message). The server throws them with
 * `fail(code, params)`, the CLI and the dashboard name them with the `ErrorCode` type, and
 * docs/api.md lists them (test/error-catalogue.test.ts keeps all of that in step).
 */
export const errorConcepts = {
  access: accessErrorCodes,
  csv: csvErrorCodes,
  requests: requestsErrorCodes,
  resources: resourcesErrorCodes,
  roles: rolesErrorCodes,
  sessions: sessionsErrorCodes,
  sso: ssoErrorCodes,
  tenants: tenantsErrorCodes,
  tokens: tokensErrorCodes,
  'two-factor': twoFactorErrorCodes,
  users: usersErrorCodes,
} as const;

export const errorCatalogue = {
  ...accessErrorCodes,
  ...csvErrorCodes,
  ...requestsErrorCodes,
  ...resourcesErrorCodes,
  ...rolesErrorCodes,
  ...sessionsErrorCodes,
  ...ssoErrorCodes,
  ...tenantsErrorCodes,
  ...tokensErrorCodes,
  ...twoFactorErrorCodes,
  ...usersErrorCodes,
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

type MessageOf<C extends ErrorCode> = (typeof errorCatalogue)[C]['message'];

/** The names between braces in a message template ({user} → "user"); text such as {"a","b"} isn't one. */
type ParamsOf<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends `${string}${'"' | ' ' | ',' | ':'}${string}` ? never : Name) | ParamsOf<Rest>
  : never;

export type ErrorParams<C extends ErrorCode> = { readonly [Name in ParamsOf<MessageOf<C>>]: string | number };

/** The message of a code with its values filled in. */
export function messageOf<C extends ErrorCode>(code: C, params: ErrorParams<C>): string {
  const values = params as Record<string, string | number>;
  return errorCatalogue[code].message.replace(/\{([A-Za-z]\w*)\}/g, (placeholder, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : placeholder));
}

/**
 * The error for `code`, with the catalogue's kind and message: `throw fail('USER_NOT_FOUND', { user, where: 'in this tenant' })`.
 * The compiler checks that exactly the message's values are given.
 */
export function fail<C extends ErrorCode>(
  code: C,
  ...[params, details]: [ParamsOf<MessageOf<C>>] extends [never] ? [params?: Record<string, never>, details?: Record<string, unknown>] : [params: ErrorParams<C>, details?: Record<string, unknown>]
): DomainError {
  const spec = errorCatalogue[code];
  return new DomainError(spec.kind, code, messageOf(code, (params ?? {}) as ErrorParams<C>), details);
}

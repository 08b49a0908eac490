import type { FastifyError } from 'fastify';
import { ZodError } from 'zod';
import { DomainError, type ErrorKind } from '../domain/errors.ts';
import { errorCatalogue, messageOf, type ErrorCode } from '../domain/error-catalogue.ts';

/** The one envelope every error answers with: a stable code and a message a person can act on. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  uri_too_long: 414,
  unsupported_media_type: 415,
  internal: 500,
};

/** The HTTP status of an error code, from its kind in the catalogue. */
export const statusOf = (code: ErrorCode): number => statusOfKind[errorCatalogue[code].kind];

export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } | undefined {
  if (error instanceof DomainError) {
    return { status: statusOfKind[error.kind], body: { error: { code: error.code, message: error.message, ...error.details } } };
  }
  if (error instanceof ZodError) {
    const problems = error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
    return {
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: messageOf('VALIDATION_FAILED', { problems: problems.map((p) => `${p.field}: ${p.message}`).join('; ') }), problems } },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code: ErrorCode =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError.name === 'SyntaxError'
        ? 'INVALID_JSON'
        : fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'BODY_TOO_LARGE'
          : fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : 'BAD_REQUEST';
    return { status: fastifyError.statusCode, body: { error: { code, message: messageOf(code, { detail: fastifyError.message ?? 'Bad request' }) } } };
  }
  return undefined;
}

/** Postgres 23505 and SQLite's UNIQUE failures: a concurrent write won a race our checks could not see. */
export function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: string; message?: string; errcode?: number };
  return candidate?.code === '23505' || /UNIQUE constraint failed/.test(candidate?.message ?? '');
}

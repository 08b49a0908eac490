import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { LogLevel } from '../config/config.ts';

/** Where request logs go when not to stdout: anything with `write(line)` (tests pass a collector). */
export interface LogDestination {
  write(line: string): void;
}

/**
 * Credentials a log line must never carry. Headers aren't logged at all (see `serializers`);
 * these paths are the second line of defence for anything that logs them anyway, `err.rawPacket`
 * is the raw bytes of a request Node couldn't parse (logged by Fastify at trace), and the body
 * fields are the secrets of this API, should a body ever be logged.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'headers["set-cookie"]',
  'err.rawPacket',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.oneTimePassword',
  '*.secret',
  '*.token',
  '*.csrfToken',
  '*.challenge',
  '*.recoveryCode',
  '*.recoveryCodes',
];

/** The path without its query: the SSO callback's `code` and `state` (and any future token in a query) stay out of the logs. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Fastify's logger options for request logs as JSON lines (pino): one line when a request
 * arrives and one when it is answered, with the request id, the path without its query, the
 * route pattern it matched, the status and the time taken. No header, body or query is logged.
 */
export function requestLoggerOptions(level: LogLevel, destination?: LogDestination): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    redact: { paths: REDACTED_PATHS },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: pathOf(request.url),
        route: request.routeOptions?.url,
        remoteAddress: request.ip,
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
    },
  };
}

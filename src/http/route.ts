import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { Actor } from '../domain/context.ts';
import type { Permission } from '../domain/permissions.ts';
import type { Services } from '../domain/services.ts';

/**
 * What a route requires, declared where the route is defined (the seed's
 * `[RequiresPermission(...)]`): one permission from the catalogue, or explicitly
 * "public" (no credential) or "authenticated" (any signed-in member of the tenant).
 */
export type Access = { permission: Permission } | 'public' | 'authenticated';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HandlerInput<Body, Query, Params> {
  /** The caller. Reading it on a public route is a programming error and throws. */
  actor: Actor;
  body: Body;
  query: Query;
  params: Params;
  services: Services;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDefinition<Body = unknown, Query = unknown, Params = unknown, Response = unknown> {
  method: HttpMethod;
  url: string;
  summary: string;
  tag: string;
  access: Access;
  /** Reachable while the caller must still change their password (only logout and the change itself). */
  allowDuringPasswordChange?: boolean;
  /** Reachable while a Require 2FA policy holds the caller to enrol first (the enrolment itself, logout, password change). */
  allowDuringTwoFactorEnrollment?: boolean;
  body?: ZodType<Body>;
  /** The body's media type when it isn't JSON (a CSV file, an image). */
  requestContentType?: string;
  /** The body reaches the handler as the request stream itself, unread and of any size (a CSV import job). */
  streamsBody?: boolean;
  query?: ZodType<Query>;
  params?: ZodType<Params>;
  /** The success status; 200 unless said otherwise. 204 sends no body. */
  status?: number;
  /**
   * The success answer's JSON shape, a schema of src/http/schemas/ (the dashboard imports its
   * type from there): the OpenAPI document shows it, the handler must return it, and with
   * `checkResponses` (every test server) each answer is checked against it. Not handed to
   * Fastify, whose serializer would silently drop the fields it doesn't declare.
   */
  response?: ZodType<Response>;
  /** The success answer's media type when it isn't JSON (an image, a CSV file, the dashboard's page). */
  responseContentType?: string;
  handler(input: HandlerInput<Body, Query, Params>): Promise<NoInfer<Response>>;
}

// The route table holds routes of many shapes; each one's handler is typed at its definition.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any, any>;

/** Defines a route, inferring the handler's types from its schemas (its return type from `response`). */
export function defineRoute<Body = undefined, Query = undefined, Params = undefined, Response = unknown>(route: RouteDefinition<Body, Query, Params, Response>): AnyRoute {
  return route as AnyRoute;
}

export function describeAccess(access: Access): string {
  return typeof access === 'string' ? access : access.permission;
}

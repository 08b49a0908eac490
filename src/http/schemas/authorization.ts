import { z } from 'zod';
import { named } from './common.ts';

/** The answer to one question of POST /api/v1/authz/check. */
export const authorizationAnswer = named(
  'AuthorizationAnswer',
  z.union([
    z.strictObject({ allowed: z.literal(true), role: z.string(), tenant: z.string(), evaluatedIn: z.string() }),
    z.strictObject({ allowed: z.literal(false), reason: z.literal('PERMISSION_MISSING'), missingPermission: z.string(), tenant: z.string(), evaluatedIn: z.string(), message: z.string() }),
    z.strictObject({ allowed: z.literal(false), reason: z.enum(['TENANT_NOT_FOUND', 'USER_SUSPENDED']), tenant: z.string(), message: z.string() }),
  ]),
);

/** One question answers with its answer; a batch (`checks`) with the answers in order. */
export const authorizationCheck = z.union([authorizationAnswer, z.strictObject({ results: z.array(authorizationAnswer) })]);

export type AuthorizationAnswer = z.infer<typeof authorizationAnswer>;

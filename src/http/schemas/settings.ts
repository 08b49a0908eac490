import { z } from 'zod';
import { named, timestamp } from './common.ts';

/** Where a value of the authentication policy comes from, most specific first. */
export const policySource = z.enum(['default', 'appsettings', 'tenant appsettings', 'admin API', 'tenant admin API']);

/** `GET /api/v1/settings/authentication` and `GET /api/v1/tenants/:tenant/settings/authentication`. */
export const authenticationPolicy = named(
  'AuthenticationPolicy',
  z.strictObject({
    scope: z.union([z.literal('global'), z.strictObject({ tenantId: z.string(), slug: z.string() })]),
    /** What the admin API set at this scope; null: not set (inherit). Timeouts are .NET TimeSpans ("08:00:00", "7.00:00:00"). */
    overrides: z.strictObject({ requireTwoFactor: z.boolean().nullable(), idleTimeout: z.string().nullable(), absoluteTimeout: z.string().nullable() }),
    effective: z.strictObject({
      requireTwoFactor: z.boolean(),
      idleTimeout: z.string(),
      absoluteTimeout: z.string(),
      sources: z.strictObject({ requireTwoFactor: policySource, idleTimeout: policySource, absoluteTimeout: policySource }),
    }),
    updatedAt: timestamp.nullable(),
  }),
);

export type PolicySource = z.infer<typeof policySource>;
export type AuthenticationPolicy = z.infer<typeof authenticationPolicy>;

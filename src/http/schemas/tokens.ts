import { z } from 'zod';
import { list, named, timestamp } from './common.ts';

/** An API token as it is shown: never its hash, its secret only once at creation. */
export const apiToken = named(
  'ApiToken',
  z.strictObject({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    /** The first characters, to tell tokens apart. */
    prefix: z.string(),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  }),
);
export const tokenList = list(apiToken);

/** POST /me/tokens and its rotation: the token and its secret, shown this once. */
export const createdToken = named('CreatedToken', z.strictObject({ token: apiToken, secret: z.string() }));

export type ApiToken = z.infer<typeof apiToken>;
export type CreatedToken = z.infer<typeof createdToken>;

import { z } from 'zod';
import { list, named, timestamp } from './common.ts';

/** A session still open, as its owner and admins see it. */
export const sessionView = named(
  'Session',
  z.strictObject({
    id: z.string(),
    /** Browser and system, read from the user agent ("Firefox on Windows"). */
    device: z.string(),
    createdAt: timestamp,
    lastSeenAt: timestamp,
    /** The absolute end; `idleExpiresAt` is when it ends if unused from now on. */
    expiresAt: timestamp,
    idleExpiresAt: timestamp,
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    /** The session of this very request. */
    current: z.boolean(),
  }),
);
export const sessionList = list(sessionView);

export type SessionView = z.infer<typeof sessionView>;

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids (UUIDv7): sorting by id is sorting by creation, which cursor pagination relies on. */
export const newId = (): string => uuidv7();

/** A secret with 256 bits from the CSPRNG, URL-safe. */
export const newSecret = (prefix = ''): string => prefix + randomBytes(32).toString('base64url');

/** Bearer secrets (session ids, API tokens) are high-entropy, so a fast hash is the right one (as GitHub and Immich do). One-shot: no Hash object per request. */
export const hashSecret = (secret: string): string => hash('sha256', secret, 'hex');

export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

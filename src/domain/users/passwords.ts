import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { invalid } from '../errors.ts';

/** argon2id with OWASP's minimum parameters: 19 MiB memory, 2 iterations, 1 lane. */
// `algorithm: 2` is Argon2id (the package exports it as a const enum, which type stripping can't read).
const argon2Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of nothing anyone knows, verified for unknown emails so they take as long as known ones. */
let decoyHash: Promise<string> | undefined;
export async function verifyAgainstDecoy(password: string): Promise<void> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await decoyHash, password);
}

/** NIST SP 800-63B: length, not composition rules. */
export function checkPasswordPolicy(password: string, minLength: number): void {
  if (password.length < minLength) {
    throw invalid('PASSWORD_TOO_SHORT', `The password must be at least ${minLength} characters long.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw invalid('PASSWORD_TOO_LONG', `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  }
}

/** A generated one-time password: 20 characters from an unambiguous alphabet (~110 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

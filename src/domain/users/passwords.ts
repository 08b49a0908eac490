import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { argon2Options } from './argon2-parameters.ts';
import { dictionary } from '@zxcvbn-ts/language-common';
import { fail } from '../error-catalogue.ts';


export const MAX_PASSWORD_LENGTH = 256;

/**
 * The password hash of an account without a password (one single sign-on created): no
 * argon2 hash, so nothing verifies against it; password login treats it like an unknown
 * account. Setting a password (a reset link) replaces it.
 */
export const NO_PASSWORD_HASH = '!no-password';

export function hasUsablePassword(passwordHash: string): boolean {
  return passwordHash !== NO_PASSWORD_HASH;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

/**
 * A generated one-time password's stored form: SHA-256, like one-time links and tokens, not
 * argon2id. It is ~110 random bits (generatePassword), so no guessing gets near it and a slow
 * hash would buy nothing; it must be changed at first sign-in and expires with
 * passwordExpiresAt. CSV import jobs give password-less rows one of these (no SMTP), so a
 * 100k-row file costs no argon2 hash per row.
 */
const ONE_TIME_PREFIX = 'one-time-sha256$';

export function hashOneTimePassword(password: string): string {
  return ONE_TIME_PREFIX + createHash('sha256').update(password, 'utf8').digest('hex');
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (passwordHash.startsWith(ONE_TIME_PREFIX)) {
    // As slow as an argon2id check, so the answer's time doesn't tell which kind of password an account has.
    await verifyAgainstDecoy(password);
    const expected = Buffer.from(passwordHash.slice(ONE_TIME_PREFIX.length), 'hex');
    const given = createHash('sha256').update(password, 'utf8').digest();
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
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

/** The ~50,000 most common passwords from breach corpora, as shipped by zxcvbn-ts. */
let commonPasswords: ReadonlySet<string> | undefined;
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set((dictionary['passwords-common'] as string[]).map((entry) => entry.toLowerCase()));
  return commonPasswords.has(password.toLowerCase());
}

/**
 * NIST SP 800-63B: a minimum length, no composition rules, at least 64 characters
 * allowed, and no password known from breaches or derived from the account itself.
 */
export function checkPasswordPolicy(password: string, minLength: number, account?: { email?: string }): void {
  if (password.length < minLength) {
    throw fail('PASSWORD_TOO_SHORT', { minLength });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw fail('PASSWORD_TOO_LONG', { MAX_PASSWORD_LENGTH });
  }
  if (isCommonPassword(password)) {
    throw fail('PASSWORD_TOO_COMMON');
  }
  const email = account?.email?.trim().toLowerCase();
  if (email && (password.toLowerCase() === email || password.toLowerCase() === email.split('@')[0])) {
    throw fail('PASSWORD_MATCHES_ACCOUNT');
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

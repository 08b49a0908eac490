import { randomBytes } from 'node:crypto';
import { hashSecret } from '../ids.ts';

/** How many recovery codes a set has. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A recovery code: 16 symbols of 5 bits (80 bits from the CSPRNG), shown as
 * XXXX-XXXX-XXXX-XXXX. With that much entropy a fast hash (SHA-256) is the right
 * storage, as for API tokens.
 */
export function generateRecoveryCode(): string {
  const bytes = randomBytes(16);
  let symbols = '';
  for (const byte of bytes) symbols += ALPHABET[byte & 31];
  return symbols.match(/.{4}/g)!.join('-');
}

/** Case, dashes and spaces don't matter; I and L read as 1, O as 0 (Crockford). */
export function normalizeRecoveryCode(code: string): string {
  return code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

export function hashRecoveryCode(code: string): string {
  return hashSecret(`recovery-code:${normalizeRecoveryCode(code)}`);
}

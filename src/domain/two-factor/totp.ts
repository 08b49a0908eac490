import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 TOTP through the `otpauth` library, with the parameters every authenticator
 * app supports: HMAC-SHA1, 6 digits, 30-second steps. A secret is 160 bits from the
 * CSPRNG (RFC 4226's recommended length).
 */
export const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
export const SECRET_BYTES = 20;
/** One step of clock drift each way. */
export const DRIFT_STEPS = 1;

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export function newTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

const secretOf = (bytes: Buffer) => new Secret({ buffer: Uint8Array.from(bytes).buffer });

export function base32Of(secret: Buffer): string {
  return secretOf(secret).base32;
}

/** The `otpauth://totp/Issuer:account?secret=…&issuer=Issuer…` URI authenticator apps scan. */
export function otpauthUri(secret: Buffer, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: secretOf(secret), ...TOTP_PARAMETERS }).toString();
}

/** The time step a moment falls in. */
export function timeStepAt(timestampMs: number, period: number = TOTP_PARAMETERS.period): number {
  return Math.floor(timestampMs / 1000 / period);
}

export function generateTotp(secret: Buffer, timestampMs: number, options: { algorithm?: TotpAlgorithm; digits?: number; period?: number } = {}): string {
  return TOTP.generate({ secret: secretOf(secret), timestamp: timestampMs, ...TOTP_PARAMETERS, ...options });
}

/**
 * The time step whose code `code` is, within the drift window around `timestampMs`, or
 * null. The caller records the step so the same code (or an older one) is never accepted again.
 */
export function matchTotp(
  secret: Buffer,
  code: string,
  timestampMs: number,
  options: { algorithm?: TotpAlgorithm; digits?: number; period?: number; window?: number } = {},
): number | null {
  const parameters = { ...TOTP_PARAMETERS, ...options };
  const token = code.replace(/\s/g, '');
  if (!new RegExp(`^\\d{${parameters.digits}}$`).test(token)) return null;
  const delta = TOTP.validate({
    token,
    secret: secretOf(secret),
    algorithm: parameters.algorithm,
    digits: parameters.digits,
    period: parameters.period,
    timestamp: timestampMs,
    window: options.window ?? DRIFT_STEPS,
  });
  return delta === null ? null : timeStepAt(timestampMs, parameters.period) + delta;
}

import { createHmac } from 'node:crypto';

/**
 * An authenticator app written from the RFCs alone, independent of the server's `otpauth`
 * library: it scans an otpauth:// URI (Google's Key URI format), decodes the base32 secret
 * (RFC 4648) and computes HOTP (RFC 4226) over the time step (RFC 6238).
 */
export class Authenticator {
  readonly secret: Buffer;
  readonly algorithm: 'sha1' | 'sha256' | 'sha512';
  readonly digits: number;
  readonly period: number;
  readonly issuer: string | null;
  readonly account: string;

  constructor(options: { secret: Buffer; algorithm?: 'sha1' | 'sha256' | 'sha512'; digits?: number; period?: number; issuer?: string | null; account?: string }) {
    this.secret = options.secret;
    this.algorithm = options.algorithm ?? 'sha1';
    this.digits = options.digits ?? 6;
    this.period = options.period ?? 30;
    this.issuer = options.issuer ?? null;
    this.account = options.account ?? '';
  }

  /** Scans the URI as an app does from the QR code. */
  static scan(uri: string): Authenticator {
    const url = new URL(uri);
    if (url.protocol !== 'otpauth:' || url.host !== 'totp') throw new Error(`not a TOTP URI: ${uri}`);
    const label = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const [labelIssuer, account] = label.includes(':') ? label.split(':', 2) : [null, label];
    const secret = url.searchParams.get('secret');
    if (!secret) throw new Error('the URI has no secret');
    return new Authenticator({
      secret: decodeBase32(secret),
      algorithm: (url.searchParams.get('algorithm') ?? 'SHA1').toLowerCase() as 'sha1',
      digits: Number(url.searchParams.get('digits') ?? 6),
      period: Number(url.searchParams.get('period') ?? 30),
      issuer: url.searchParams.get('issuer') ?? labelIssuer,
      account: account!,
    });
  }

  /** The code at a moment (milliseconds since the epoch). */
  codeAt(timestampMs: number): string {
    return hotp(this.secret, Math.floor(timestampMs / 1000 / this.period), this.digits, this.algorithm);
  }
}

export function hotp(secret: Buffer, counter: number, digits: number, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function decodeBase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const character of text.toUpperCase().replace(/=+$/, '')) {
    const index = alphabet.indexOf(character);
    if (index < 0) throw new Error(`not base32: ${character}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

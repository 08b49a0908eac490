import { createHash, createHmac, randomBytes } from 'node:crypto';
import { secretsEqual } from '../ids.ts';
import { deriveKey, type MasterKey } from '../two-factor/secret-box.ts';

/**
 * Trusted-device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"):
 * a browser that completed a sign-in for an account gets a signed token naming the account.
 * Sign-ins from it are counted against the device, not against the account or the source
 * address, so an attacker hammering an account can't lock its owner out of a browser they
 * already use. The token is `v1.<userId>.<issuedAtMs>.<nonce>.<hmac>`, HMAC-SHA256 under a
 * key derived from the server's master key; nothing is stored.
 */
const VERSION = 'v1';

export function issueDeviceToken(key: MasterKey, userId: string, now: number): string {
  const body = `${VERSION}.${userId}.${now}.${randomBytes(16).toString('base64url')}`;
  return `${body}.${macOf(key, body)}`;
}

/** The device's counter key when the token is genuine, unexpired and names this user; else undefined. */
export function trustedDeviceKey(key: MasterKey, token: string | undefined, userId: string, now: number, lifetime: number): string | undefined {
  if (!token || token.length > 300) return undefined;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
  const [, tokenUser, issued, nonce, mac] = parts as [string, string, string, string, string];
  const body = parts.slice(0, 4).join('.');
  if (!secretsEqual(mac, macOf(key, body))) return undefined;
  if (tokenUser !== userId) return undefined;
  const issuedAt = Number(issued);
  if (!Number.isFinite(issuedAt) || now - issuedAt >= lifetime || issuedAt > now + 60_000) return undefined;
  return `device:${createHash('sha256').update(nonce).digest('hex').slice(0, 32)}`;
}

function macOf(key: MasterKey, body: string): string {
  return createHmac('sha256', deriveKey(key.material, 'trusted-device')).update(body).digest('base64url');
}

import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The server's secret key and what is sealed with it. One 32-byte master key (from
 * `Sophon:Auth:TwoFactor:EncryptionKey` or a key file under the data directory) yields,
 * through HKDF, a separate key per purpose: TOTP secrets are sealed with AES-256-GCM,
 * trusted-device cookies are signed with HMAC-SHA256.
 */
export interface MasterKey {
  /** A public fingerprint of the key, stored beside each sealed secret. */
  id: string;
  material: Buffer;
  /** Where it came from, for messages: the setting's name or the file's path. */
  source: string;
}

export type MasterKeyState = { status: 'ready'; key: MasterKey } | { status: 'unavailable'; reason: string };

export type KeyPurpose = 'two-factor-secret' | 'trusted-device' | 'key-id' | 'import-secret';

// Derived once per key and purpose: HKDF per sealed value costs more than the sealing (a CSV import seals a value per row).
const derivedKeys = new WeakMap<Buffer, Map<KeyPurpose, Buffer>>();

export function deriveKey(material: Buffer, purpose: KeyPurpose): Buffer {
  let byPurpose = derivedKeys.get(material);
  if (!byPurpose) derivedKeys.set(material, (byPurpose = new Map()));
  let key = byPurpose.get(purpose);
  if (!key) byPurpose.set(purpose, (key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), `sophon/${purpose}`, 32))));
  return key;
}

// The cipher's key as a KeyObject, made once: given a Buffer, every createCipheriv makes one of its own (a third of a seal's cost).
const cipherKeys = new WeakMap<Buffer, Map<KeyPurpose, KeyObject>>();

function cipherKey(material: Buffer, purpose: KeyPurpose): KeyObject {
  let byPurpose = cipherKeys.get(material);
  if (!byPurpose) cipherKeys.set(material, (byPurpose = new Map()));
  let key = byPurpose.get(purpose);
  if (!key) byPurpose.set(purpose, (key = createSecretKey(deriveKey(material, purpose))));
  return key;
}

export function masterKeyOf(material: Buffer, source: string): MasterKey {
  if (material.length !== 32) throw new Error(`${source}: the key must be 32 bytes, got ${material.length}`);
  const id = createHash('sha256').update(deriveKey(material, 'key-id')).digest('hex').slice(0, 16);
  return { id, material, source };
}

export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

const VERSION = 'v1';

/** AES-256-GCM with a fresh 96-bit nonce; `context` (the user id) is bound as associated data, so a sealed secret can't be moved to another row. */
export function seal(key: MasterKey, plaintext: Buffer, context: string, purpose: KeyPurpose = 'two-factor-secret'): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cipherKey(key.material, purpose), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

export function unseal(key: MasterKey, sealed: string, context: string, purpose: KeyPurpose = 'two-factor-secret'): Buffer {
  const [version, payload] = sealed.split('.');
  if (version !== VERSION || !payload) throw new SealedSecretError('unknown sealed-secret format');
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.length < 12 + 16 + 1) throw new SealedSecretError('sealed secret is truncated');
  const decipher = createDecipheriv('aes-256-gcm', cipherKey(key.material, purpose), bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  } catch {
    throw new SealedSecretError('the sealed secret does not open with this key (wrong key or tampered data)');
  }
}

import { fail } from '../error-catalogue.ts';

export interface Avatar {
  userId: string;
  contentType: AvatarType;
  data: Buffer;
  updatedAt: string;
}

export type AvatarType = 'image/png' | 'image/jpeg' | 'image/webp';

export const MAX_AVATAR_BYTES = 512 * 1024;

/**
 * Decides the image type from the bytes themselves, never from what the client claims:
 * a PNG signature, a JPEG SOI marker, or a RIFF/WEBP header. Anything else is refused.
 */
export function detectAvatarType(data: Buffer): AvatarType {
  if (data.length > MAX_AVATAR_BYTES) {
    throw fail('AVATAR_TOO_LARGE', { ceil: Math.ceil(data.length / 1024), MAX_AVATAR_BYTES: MAX_AVATAR_BYTES / 1024 });
  }
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  throw fail('AVATAR_TYPE_UNSUPPORTED');
}

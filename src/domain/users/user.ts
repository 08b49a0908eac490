import { fail } from '../error-catalogue.ts';

export type UserStatus = 'active' | 'suspended';

export interface User {
  id: string;
  email: string;
  displayName: string;
  homeTenantId: string;
  status: UserStatus;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  lastLoginIp: string | null;
  lastLoginUserAgent: string | null;
}

/** The stored user also carries the password hash, which never leaves the domain. */
export interface StoredUser extends User {
  passwordHash: string;
  /** When a one-time (initial or admin-set) password stops working; null once the user chose their own. */
  passwordExpiresAt: string | null;
}

/** Emails are the login identity and unique case-insensitively. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const emailPattern = /^[^\s@]+@[^\s@]+$/;

/** C0 control characters and DEL: never part of an email or a name (PostgreSQL can't even store NUL in text). */
const controlCharacter = /[\u0000-\u001F\u007F]/;

export function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!emailPattern.test(trimmed) || trimmed.length > 254 || controlCharacter.test(trimmed)) {
    throw fail('EMAIL_INVALID', { email });
  }
  return trimmed;
}

export function checkDisplayName(displayName: string): string {
  const trimmed = displayName.trim();
  if (trimmed.length === 0 || trimmed.length > 200 || controlCharacter.test(trimmed)) {
    throw fail('DISPLAY_NAME_INVALID');
  }
  return trimmed;
}

export function publicUser(user: StoredUser | User): User {
  const { passwordHash: _hidden, passwordExpiresAt: _internal, ...rest } = user as StoredUser;
  return rest;
}

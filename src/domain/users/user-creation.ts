import type { Tenant } from '../tenants/tenant.ts';
import { generatePassword, hashOneTimePassword, hashPassword } from './passwords.ts';
import type { StoredUser } from './user.ts';
import type { UserView } from './user-view.ts';

/** The seed's CSV columns, shared by the API, the CLI and CSV import. */
export interface CreateUserInput {
  email: string;
  displayName: string;
  role?: string;
  tenant?: string;
  password?: string;
}

/** A new user whose fields, password and tenant have been checked. */
export interface PreparedUser {
  email: string;
  displayName: string;
  role: string;
  tenant: Tenant;
  /** As the admin gave it; undefined when one is to be generated. */
  password: string | undefined;
}

/** A prepared user with the initial password settled and hashed. */
export interface HashedUser extends PreparedUser {
  initialPassword: string;
  passwordHash: string;
}

export interface InsertedUser {
  created: StoredUser;
  invitation: CreatedUser['invitation'];
  notice: CreatedUser['notice'];
  tenantId: string;
}

/**
 * Settles each user's initial password (given or generated) and hashes them, a few at a time:
 * a password the admin chose with argon2id, a generated one-time password with SHA-256 (see
 * hashOneTimePassword: ~110 random bits need no slow hash).
 */
export async function hashPrepared(prepared: PreparedUser[]): Promise<HashedUser[]> {
  const hashed: HashedUser[] = [];
  // Argon2 runs on libuv's four worker threads: more at once only queues.
  for (let start = 0; start < prepared.length; start += 4) {
    hashed.push(
      ...(await Promise.all(
        prepared.slice(start, start + 4).map(async (user) => {
          if (user.password === undefined) {
            const initialPassword = generatePassword();
            return { ...user, initialPassword, passwordHash: hashOneTimePassword(initialPassword) };
          }
          return { ...user, initialPassword: user.password, passwordHash: await hashPassword(user.password) };
        }),
      )),
    );
  }
  return hashed;
}

export interface CreatedUser {
  user: UserView;
  /** When the initial password stops working if not changed. */
  passwordExpiresAt: string;
  /** Only without SMTP and when the admin gave no password: shown this once. */
  oneTimePassword?: string;
  /**
   * With SMTP and no password given: the invitation, whose link is the one first-login
   * credential. `queued` means written to the outbox, not delivered: GET /users/:id/activity
   * tells when it is sent, or why not yet.
   */
  invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
  /** With SMTP and a password the admin typed: a notice without any credential (the admin hands the password over). */
  notice?: { delivery: 'queued'; messageId: string };
}

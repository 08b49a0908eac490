import { hashPasswordSync } from './passwords.ts';

/** Runs on a worker thread of PasswordHashPool: one argon2id hash, on this thread's core. */
export default function hashOnWorker(password: string): string {
  return hashPasswordSync(password);
}

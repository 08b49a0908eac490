import { hashSync } from '@node-rs/argon2';
import { argon2Options } from './argon2-parameters.ts';

/** Runs on a worker thread of PasswordHashPool: one argon2id hash, on this thread's core (hashSync, not libuv's shared pool). */
export default function hashOnWorker(password: string): string {
  return hashSync(password, argon2Options);
}

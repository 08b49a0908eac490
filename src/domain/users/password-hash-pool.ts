import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

/**
 * argon2id hashing on worker threads, one per core (piscina). The async hash of
 * @node-rs/argon2 runs on libuv's shared pool of four threads whatever the machine; each
 * worker here hashes synchronously on its own thread instead, so a CSV import with
 * passwords uses every core. Started on first use, stopped with the server.
 */
export class PasswordHashPool {
  readonly threads: number;
  #pool: Piscina | undefined;
  #hashed = 0;

  constructor(threads = availableParallelism()) {
    this.threads = Math.max(1, threads);
  }

  /** How many hashes the worker threads have computed since the pool started (tests count them). */
  get hashed(): number {
    return this.#hashed;
  }

  /** Starts the worker threads ahead of the first hash (loading a worker takes a while): a job does so as a file with passwords arrives. */
  start(): Piscina {
    this.#pool ??= new Piscina({
      filename: new URL('./password-hash-worker.ts', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 30_000,
    });
    return this.#pool;
  }

  async hash(password: string): Promise<string> {
    const hashed = (await this.start().run(password)) as string;
    this.#hashed += 1;
    return hashed;
  }

  /** Hashes many at once, in the pool's parallelism; in the order given. */
  hashAll(passwords: string[]): Promise<string[]> {
    return Promise.all(passwords.map((password) => this.hash(password)));
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}

import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/**
 * The authorization epoch's version now (PostgreSQL, migration 017), for a node that keeps
 * credentials' facts: one small read, shared by the requests that wait for it at the same time.
 *
 * Exactness needs a read *sent after the request arrived*: such a read sees every change that
 * committed before the request, so facts kept at the version it returns are the facts of now. A
 * read already on its way when a request arrives was sent too early for it, so the request waits
 * for the next one, which goes out as soon as that one is back and serves every request that
 * arrived meanwhile. A request waits at most two round trips; under load, one round trip answers
 * for many requests instead of one each. (Its parameter makes it a named prepared statement.)
 */
export class SharedEpochRead {
  static readonly SQL = 'select "version"::text as "version" from "authorization_epoch" where "id" = $1';
  readonly #fetch: () => Promise<string>;
  /** The read on its way: sent before anyone who arrives now. */
  #inFlight: Promise<string> | undefined;
  /** The read that goes out when the one on its way is back: for those who arrived since it went. */
  #next: Promise<string> | undefined;
  /** Round trips sent (tests and the benchmark read it). */
  sent = 0;

  /** `fetch` sends one read (tests pass their own); by default the epoch's row through `db`. */
  constructor(db: Kysely<Database>, fetch: () => Promise<string> = () => readEpoch(db)) {
    this.#fetch = fetch;
  }

  read(): Promise<string> {
    if (this.#next) return this.#next;
    if (!this.#inFlight) return this.#send();
    const next: Promise<string> = this.#inFlight.then(
      (): Promise<string> => this.#sendNext(next),
      (): Promise<string> => this.#sendNext(next),
    );
    this.#next = next;
    return next;
  }

  #sendNext(next: Promise<string>): Promise<string> {
    if (this.#next === next) this.#next = undefined;
    return this.#send();
  }

  #send(): Promise<string> {
    this.sent++;
    const read = this.#fetch();
    this.#inFlight = read;
    const settled = () => {
      if (this.#inFlight === read) this.#inFlight = undefined;
    };
    read.then(settled, settled);
    return read;
  }
}

async function readEpoch(db: Kysely<Database>): Promise<string> {
  const { rows } = await db.executeQuery<{ version: string }>(CompiledQuery.raw(SharedEpochRead.SQL, [1]));
  const version = rows[0]?.version;
  if (version === undefined) throw new Error('authorization_epoch has no row: the database was not migrated by this release (migration 017)');
  return version;
}

import type { AuthorizationFacts, AuthorizationQuery } from '../../domain/access/authorization-facts.ts';

/** Credentials (with their tenant) whose facts are kept; the least recently used goes beyond this. */
export const AUTHORIZATION_CACHE_SIZE = 2_000;

interface Entry {
  version: string;
  facts: AuthorizationFacts;
  /** When time alone would change what the statement answers (an elevation ends), else null. */
  until: string | null;
}

/**
 * The facts of recent credentials. On SQLite, where one process owns the database: kept with the
 * database's change version (SqliteChangeWatch) of the moment they were read, and given again only
 * while that version is unchanged, that is while no row of the file has changed, by this process or
 * another. Any write — an assignment, a suspension, a revocation, but also a session's touch or an
 * audit row — makes every entry stale at once, so the next request of each credential reads again:
 * the exactness of reading every time, for the price of one counter read while nothing is written.
 * Time-dependent rules are the domain's to apply to the facts on every request (token and session
 * deadlines); the one the statement applies itself, an elevation in force at the request's `now`,
 * bounds the entry by its end (`until`).
 *
 * On PostgreSQL, where other nodes write to the same database unseen, the version is the
 * authorization epoch (migration 017), which moves only with a change that can alter a decision
 * and is compared by the authorization statement itself (authorization-store.ts).
 */
export class AuthorizationCache {
  readonly #entries = new Map<string, Entry>();
  readonly #size: number;
  hits = 0;
  misses = 0;

  constructor(size = AUTHORIZATION_CACHE_SIZE) {
    this.#size = size;
  }

  static keyOf(query: AuthorizationQuery): string {
    return `${query.credential}\n${query.hash}\n${query.tenant ?? ''}\n${query.defaultTenantId}`;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The facts read for `key` at `version`, if still valid at `now`; undefined otherwise. */
  get(key: string, version: string | undefined, now: string): AuthorizationFacts | undefined {
    const entry = version === undefined ? undefined : this.#entries.get(key);
    if (!entry || entry.version !== version || (entry.until !== null && now >= entry.until)) {
      if (entry) this.#entries.delete(key);
      this.misses++;
      return undefined;
    }
    // Re-inserted: a Map iterates in insertion order, so the least recently used comes first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.hits++;
    return entry.facts;
  }

  set(key: string, version: string, facts: AuthorizationFacts, until: string | null): void {
    this.#entries.delete(key);
    this.#entries.set(key, { version, facts: deepFreeze({ ...facts, kept: true }), until });
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Shared by the requests that are given it: nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

import type { AuthorizationFacts, AuthorizationQuery } from './authorization-facts.ts';

/** What a node's cache of authorization facts has done since the server started (GET /metrics). */
export interface AuthorizationCacheStats {
  /** Credentials whose facts are kept now. */
  kept: number;
  /** Requests answered from kept facts, and those that read them (again). */
  hits: number;
  misses: number;
  /** Reads of the version the kept facts are checked against (PostgreSQL: shared between requests). */
  versionReads: number;
}

export interface AuthorizationStore {
  /** One statement. Undefined when no token or session has this hash. */
  load(query: AuthorizationQuery): Promise<AuthorizationFacts | undefined>;
  /** Present where the store keeps facts across requests (the root store). */
  cacheStats?(): AuthorizationCacheStats;
}

import type { AuthorizationFacts, AuthorizationQuery } from './authorization-facts.ts';

export interface AuthorizationStore {
  /** One statement. Undefined when no token or session has this hash. */
  load(query: AuthorizationQuery): Promise<AuthorizationFacts | undefined>;
}

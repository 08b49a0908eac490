export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  /** sha256 of the token; the token itself is shown once at creation. */
  tokenHash: string;
  /** The first characters, so a person can tell tokens apart in a list. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const TOKEN_PREFIX = 'sph_';

/** What is shown about a token: never its hash. */
export function describeToken(token: ApiToken) {
  const { tokenHash: _hidden, ...rest } = token;
  return rest;
}

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

export interface ApiTokenStore {
  create(token: ApiToken): Promise<void>;
  getByHash(tokenHash: string): Promise<ApiToken | undefined>;
  getById(tokenId: string): Promise<ApiToken | undefined>;
  listForUser(userId: string): Promise<ApiToken[]>;
  revoke(tokenId: string, at: string): Promise<void>;
  /** Revokes every token of the user still in force (neither revoked nor expired at `at`), but `exceptTokenId`; returns how many. */
  revokeAllForUser(userId: string, at: string, exceptTokenId?: string): Promise<number>;
  touch(tokenId: string, lastUsedAt: string): Promise<void>;
}

import type { ApiToken } from './api-token.ts';

export interface ApiTokenStore {
  /**
   * Adds a token; `name_taken` (and nothing written) when the user already has a token of that
   * name, compared case-insensitively, that isn't revoked: the database's unique index decides,
   * so two concurrent creates can't both pass. On PostgreSQL the transaction is then aborted:
   * the caller must end it (throw), not go on.
   */
  create(token: ApiToken): Promise<'created' | 'name_taken'>;
  /** The user's token not revoked with this name (case-insensitive), if any. */
  findActiveByName(userId: string, name: string): Promise<ApiToken | undefined>;
  getByHash(tokenHash: string): Promise<ApiToken | undefined>;
  getById(tokenId: string): Promise<ApiToken | undefined>;
  listForUser(userId: string): Promise<ApiToken[]>;
  revoke(tokenId: string, at: string): Promise<void>;
  /** Revokes every token of the user still in force (neither revoked nor expired at `at`), but `exceptTokenId`; returns how many. */
  revokeAllForUser(userId: string, at: string, exceptTokenId?: string): Promise<number>;
  touch(tokenId: string, lastUsedAt: string): Promise<void>;
}

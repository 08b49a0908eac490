import type { Kysely } from 'kysely';
import type { SsoLoginState } from '../../domain/sso/sso-login-state.ts';
import type { SsoLoginStateStore } from '../../domain/sso/sso-login-state-store.ts';
import type { Database } from '../schema.ts';

const toState = (row: Database['sso_login_states']): SsoLoginState => ({
  id: row.id,
  stateHash: row.state_hash,
  codeVerifier: row.code_verifier,
  nonce: row.nonce,
  issuer: row.issuer,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  consumedAt: row.consumed_at,
});

export function sqlSsoLoginStateStore(db: Kysely<Database>): SsoLoginStateStore {
  return {
    async create(state) {
      await db
        .insertInto('sso_login_states')
        .values({
          id: state.id,
          state_hash: state.stateHash,
          code_verifier: state.codeVerifier,
          nonce: state.nonce,
          issuer: state.issuer,
          created_at: state.createdAt,
          expires_at: state.expiresAt,
          consumed_at: null,
        })
        .execute();
    },
    async consume(stateHash, at) {
      // One statement: the row is spent and read at once, so of two nodes racing on the same state one gets it.
      const row = await db
        .updateTable('sso_login_states')
        .set({ consumed_at: at })
        .where('state_hash', '=', stateHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', at)
        .returningAll()
        .executeTakeFirst();
      return row && toState(row);
    },
    async deleteExpired(before) {
      const result = await db.deleteFrom('sso_login_states').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

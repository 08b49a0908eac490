import type { Kysely } from 'kysely';
import type { Store } from '../domain/store.ts';
import type { Engine } from './open-database.ts';
import type { Database } from './schema.ts';
import { sqlAuditStore } from './stores/audit-store.ts';
import { sqlResourceStore } from './stores/resource-store.ts';
import { sqlAssignmentStore, sqlRoleStore } from './stores/role-store.ts';
import { sqlSessionStore } from './stores/session-store.ts';
import { sqlTenantStore } from './stores/tenant-store.ts';
import { sqlTokenStore } from './stores/token-store.ts';
import { sqlUserStore } from './stores/user-store.ts';
import { sqlMailStore } from './stores/outbox-store.ts';
import { sqlOneTimeLinkStore } from './stores/one-time-link-store.ts';
import { sqlAvatarStore } from './stores/avatar-store.ts';
import { sqlTwoFactorStore } from './stores/two-factor-store.ts';
import { sqlLoginChallengeStore } from './stores/login-challenge-store.ts';
import { sqlLoginThrottleStore } from './stores/login-throttle-store.ts';
import { sqlAuthPolicyStore } from './stores/auth-policy-store.ts';
import { sqlExternalIdentityStore } from './stores/external-identity-store.ts';
import { sqlSsoLoginStateStore } from './stores/sso-login-state-store.ts';
import { sqlGovernanceStore } from './stores/governance-store.ts';
import { sqlImportJobStore } from './stores/import-job-store.ts';
import { sqlAccessRequestStore } from './stores/access-request-store.ts';
import { DEFAULT_TRANSACTION_RETRY, withTransactionRetry, type RetryHooks, type TransactionRetryPolicy } from './transaction-retry.ts';

export interface SqlStoreOptions {
  /** How a transaction that lost a race on PostgreSQL is run again (DEFAULT_TRANSACTION_RETRY). */
  retry?: TransactionRetryPolicy;
  /** Tests watch the retries through these. */
  retryHooks?: RetryHooks;
  /**
   * Keep recent credentials' authorization facts while nothing that can alter a decision has
   * changed (AuthorizationCache): on SQLite with the database's SqliteChangeWatch (required
   * there), on PostgreSQL with the authorization epoch; `now` is the domain's clock, which
   * bounds an entry by the end of an elevation it holds.
   */
  authorizationCache?: { watch?: SqliteChangeWatch; now: () => string };
}
import { sqlAuthorizationStore } from './stores/authorization-store.ts';
import { AuthorizationCache } from './stores/authorization-cache.ts';
import type { SqliteChangeWatch } from './sqlite-dialect.ts';

/**
 * The domain's Store over Kysely: the same code for SQLite and PostgreSQL.
 *
 * `transaction` is the one place where a transaction that lost a race is run again. On
 * PostgreSQL a run that ends in SQLSTATE 40001 (serialization failure: any SERIALIZABLE or
 * REPEATABLE READ transaction, and every contended one on CockroachDB or YugabyteDB) or
 * 40P01 (deadlock: possible at READ COMMITTED, e.g. two sign-ins locking the same throttle
 * counters in another order) was rolled back by the server, COMMIT included, so the whole
 * callback runs again on a fresh transaction, up to five runs with a short exponential pause
 * with jitter between them (src/storage/transaction-retry.ts). A lost connection carries no
 * SQLSTATE and is never retried: its COMMIT may have landed.
 *
 * Running a callback twice is safe because callbacks only talk to the database through the
 * store they are handed (checked for every `store.transaction` of src/ in December 2026):
 * mail is written to the outbox (mail_outbox) inside the transaction and sent afterwards by
 * the OutboxWorker, outside any transaction, from rows that committed; passwords are hashed
 * before the transaction; secrets (tokens, sessions, links) made inside a callback are
 * returned by it, so the caller only ever sees those of the run that committed. What a callback
 * may not do: send, fetch or log anything external, or leave anything of a failed run in
 * memory the caller reads afterwards (the CSV import's per-line `results` map is written from
 * its callback, but keyed by line, so a second run overwrites the first's entries; an import
 * job's batch hashes before its transaction and builds its outcomes inside it, afresh per run).
 *
 * SQLite: there is nothing to retry. The process holds one connection and Kysely runs one
 * transaction on it at a time, so transactions never conflict with each other; another
 * process's write lock is waited out by `PRAGMA busy_timeout = 5000` (sqlite-dialect.ts), and
 * SQLITE_BUSY after that is an error, not a race lost. The wrapper lets it through unchanged.
 */
export function createSqlStore(db: Kysely<Database>, engine: Engine, options: SqlStoreOptions = {}, inTransaction = false): Store {
  const policy = options.retry ?? DEFAULT_TRANSACTION_RETRY;
  // Only outside transactions: a command reads what it checks inside its transaction.
  const cached = !inTransaction && options.authorizationCache && (engine === 'postgres' || options.authorizationCache.watch) ? { ...options.authorizationCache, cache: new AuthorizationCache() } : undefined;
  const store: Store = {
    tenants: sqlTenantStore(db),
    users: sqlUserStore(db, engine),
    roles: sqlRoleStore(db, engine),
    assignments: sqlAssignmentStore(db, engine),
    sessions: sqlSessionStore(db),
    tokens: sqlTokenStore(db),
    audit: sqlAuditStore(db),
    resources: sqlResourceStore(db),
    mail: sqlMailStore(db),
    links: sqlOneTimeLinkStore(db),
    avatars: sqlAvatarStore(db),
    twoFactor: sqlTwoFactorStore(db),
    loginChallenges: sqlLoginChallengeStore(db),
    loginThrottle: sqlLoginThrottleStore(db, engine),
    authPolicies: sqlAuthPolicyStore(db),
    externalIdentities: sqlExternalIdentityStore(db),
    ssoLoginStates: sqlSsoLoginStateStore(db),
    governance: sqlGovernanceStore(db),
    importJobs: sqlImportJobStore(db, engine),
    accessRequests: sqlAccessRequestStore(db),
    authorization: sqlAuthorizationStore(db, engine, cached),
    transaction(work, transactionOptions) {
      // Nested: joins the outer transaction, at its isolation level; a retry reruns the outermost callback.
      if (inTransaction) return work(store);
      const begin = engine === 'postgres' && transactionOptions?.isolation ? db.transaction().setIsolationLevel(transactionOptions.isolation) : db.transaction();
      const run = () => begin.execute((transaction) => work(createSqlStore(transaction, engine, options, true)));
      return engine === 'postgres' ? withTransactionRetry(run, policy, options.retryHooks) : run();
    },
  };
  return store;
}

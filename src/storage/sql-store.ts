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
import { sqlMailStore } from './stores/mail-store.ts';
import { sqlOneTimeLinkStore } from './stores/one-time-link-store.ts';
import { sqlAvatarStore } from './stores/avatar-store.ts';
import { sqlTwoFactorStore } from './stores/two-factor-store.ts';
import { sqlLoginChallengeStore } from './stores/login-challenge-store.ts';
import { sqlLoginThrottleStore } from './stores/login-throttle-store.ts';
import { sqlAuthPolicyStore } from './stores/auth-policy-store.ts';
import { sqlExternalIdentityStore } from './stores/external-identity-store.ts';
import { sqlSsoLoginStateStore } from './stores/sso-login-state-store.ts';

/** The domain's Store over Kysely: the same code for SQLite and PostgreSQL. */
export function createSqlStore(db: Kysely<Database>, engine: Engine, inTransaction = false): Store {
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
    transaction(work) {
      if (inTransaction) return work(store);
      return db.transaction().execute((transaction) => work(createSqlStore(transaction, engine, true)));
    },
  };
  return store;
}

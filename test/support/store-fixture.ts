import type { StatementLog } from '../../src/storage/statement-log.ts';
import type { Kysely } from 'kysely';
import { newId } from '../../src/domain/ids.ts';
import { builtInRoleDefinitions } from '../../src/domain/roles/role.ts';
import type { Store } from '../../src/domain/store.ts';
import type { Tenant } from '../../src/domain/tenants/tenant.ts';
import type { StoredUser } from '../../src/domain/users/user.ts';
import { migrate, openDatabase, type Engine } from '../../src/storage/open-database.ts';
import type { Database } from '../../src/storage/schema.ts';
import { createSqlStore } from '../../src/storage/sql-store.ts';
import { createTestDatabase } from './harness.ts';

/** A migrated, empty database of the engine and the Store over it, for store contract tests. */
export interface StoreFixture {
  engine: Engine;
  db: Kysely<Database>;
  store: Store;
  /** Every statement sent through `db`. */
  statements: StatementLog;
  close(): Promise<void>;
}

export async function openTestStore(engine: Engine): Promise<StoreFixture> {
  const database = await createTestDatabase(engine);
  const opened = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  await migrate(opened.db);
  return {
    engine,
    db: opened.db,
    store: createSqlStore(opened.db, opened.engine),
    statements: opened.statements,
    async close() {
      await opened.db.destroy();
      await database.drop();
    },
  };
}

/** A fixed instant plus `minutes`, as the ISO text the stores keep. */
export const at = (minutes = 0) => new Date(Date.UTC(2026, 0, 1) + minutes * 60_000).toISOString();

let sequence = 0;

export async function addTenant(store: Store, slug = `tenant-${++sequence}`): Promise<Tenant> {
  const tenant: Tenant = { id: newId(), slug, name: slug, createdAt: at(), updatedAt: at() };
  await store.tenants.create(tenant);
  return tenant;
}

export async function addUser(store: Store, homeTenantId: string, changes: Partial<StoredUser> = {}): Promise<StoredUser> {
  const id = newId();
  const user: StoredUser = {
    id,
    email: `user-${++sequence}@example.test`,
    displayName: `User ${sequence}`,
    homeTenantId,
    status: 'active',
    mustChangePassword: false,
    passwordHash: '$argon2id$not-a-real-hash',
    passwordExpiresAt: null,
    createdAt: at(),
    updatedAt: at(),
    lastLoginAt: null,
    lastLoginIp: null,
    lastLoginUserAgent: null,
    ...changes,
  };
  await store.users.create(user);
  return user;
}

/** The built-in roles, as bootstrap writes them (assignments reference roles). */
export async function addBuiltInRoles(store: Store): Promise<void> {
  for (const role of builtInRoleDefinitions) {
    await store.roles.create({ id: role.id, name: role.name, description: role.description, tenantId: null, builtIn: true, permissions: [], createdAt: at(), updatedAt: at() });
  }
}

/** A user at home in the tenant, holding `roleId` there (as the services always do). */
export async function addMember(store: Store, tenantId: string, roleId = 'viewer', changes: Partial<StoredUser> = {}): Promise<StoredUser> {
  const user = await addUser(store, tenantId, changes);
  await store.assignments.set({ userId: user.id, tenantId, roleId, assignedAt: at(), assignedBy: null });
  return user;
}

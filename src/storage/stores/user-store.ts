import { sql, type Kysely } from 'kysely';
import type { UserStore } from '../../domain/users/user-store.ts';
import { normalizeEmail, type StoredUser, type UserStatus } from '../../domain/users/user.ts';
import type { Database } from '../schema.ts';
import { escapeLike } from './sql-helpers.ts';

type Row = Database['users'];

const toUser = (row: Row): StoredUser => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  homeTenantId: row.home_tenant_id,
  status: row.status as UserStatus,
  passwordHash: row.password_hash,
  mustChangePassword: Number(row.must_change_password) === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastLoginAt: row.last_login_at,
  lastLoginIp: row.last_login_ip,
  lastLoginUserAgent: row.last_login_user_agent,
  passwordExpiresAt: row.password_expires_at,
});

export function sqlUserStore(db: Kysely<Database>): UserStore {
  return {
    async create(user) {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email,
          email_normalized: normalizeEmail(user.email),
          display_name: user.displayName,
          home_tenant_id: user.homeTenantId,
          status: user.status,
          password_hash: user.passwordHash,
          must_change_password: user.mustChangePassword ? 1 : 0,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
          last_login_at: user.lastLoginAt,
          last_login_ip: user.lastLoginIp,
          last_login_user_agent: user.lastLoginUserAgent,
          password_expires_at: user.passwordExpiresAt,
        })
        .execute();
    },
    async getById(userId) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
      return row && toUser(row);
    },
    async getByCredentialHash(kind, tokenHash) {
      const owner =
        kind === 'token'
          ? db.selectFrom('api_tokens').select('user_id').where('token_hash', '=', tokenHash)
          : db.selectFrom('sessions').select('user_id').where('token_hash', '=', tokenHash);
      const row = await db.selectFrom('users').selectAll().where('id', '=', owner).executeTakeFirst();
      return row && toUser(row);
    },
    async getByEmail(email) {
      const row = await db.selectFrom('users').selectAll().where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst();
      return row && toUser(row);
    },
    async getInTenant(tenantId, userId) {
      const row = await db
        .selectFrom('users')
        .innerJoin('role_assignments', 'role_assignments.user_id', 'users.id')
        .selectAll('users')
        .where('role_assignments.tenant_id', '=', tenantId)
        .where('users.id', '=', userId)
        .executeTakeFirst();
      return row && toUser(row);
    },
    async listInTenant(tenantId, query) {
      let select = db
        .selectFrom('users')
        .innerJoin('role_assignments', 'role_assignments.user_id', 'users.id')
        .selectAll('users')
        .where('role_assignments.tenant_id', '=', tenantId);
      if (query.search) {
        const pattern = `%${escapeLike(query.search.trim().toLowerCase())}%`;
        select = select.where(sql<boolean>`(users.email_normalized like ${pattern} escape '\\' or lower(users.display_name) like ${pattern} escape '\\')`);
      }
      if (query.after) select = select.where('users.id', '>', query.after);
      return (await select.orderBy('users.id').limit(query.limit).execute()).map(toUser);
    },
    async update(userId, changes) {
      const values: Partial<Row> = {};
      if (changes.email !== undefined) {
        values.email = changes.email;
        values.email_normalized = normalizeEmail(changes.email);
      }
      if (changes.displayName !== undefined) values.display_name = changes.displayName;
      if (changes.status !== undefined) values.status = changes.status;
      if (changes.passwordHash !== undefined) values.password_hash = changes.passwordHash;
      if (changes.mustChangePassword !== undefined) values.must_change_password = changes.mustChangePassword ? 1 : 0;
      if (changes.updatedAt !== undefined) values.updated_at = changes.updatedAt;
      if (changes.lastLoginAt !== undefined) values.last_login_at = changes.lastLoginAt;
      if (changes.lastLoginIp !== undefined) values.last_login_ip = changes.lastLoginIp;
      if (changes.lastLoginUserAgent !== undefined) values.last_login_user_agent = changes.lastLoginUserAgent;
      if (changes.passwordExpiresAt !== undefined) values.password_expires_at = changes.passwordExpiresAt;
      if (changes.homeTenantId !== undefined) values.home_tenant_id = changes.homeTenantId;
      if (Object.keys(values).length > 0) await db.updateTable('users').set(values).where('id', '=', userId).execute();
    },
    async delete(userId) {
      await db.deleteFrom('users').where('id', '=', userId).execute();
    },
    async countWithStatus(status) {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).where('status', '=', status).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async count() {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

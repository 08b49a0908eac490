import type { Kysely } from 'kysely';
import type { TenantStore } from '../../domain/tenants/tenant-store.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import type { Database } from '../schema.ts';

const toTenant = (row: Database['tenants']): Tenant => ({ id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });

export function sqlTenantStore(db: Kysely<Database>): TenantStore {
  return {
    async create(tenant) {
      await db.insertInto('tenants').values({ id: tenant.id, slug: tenant.slug, name: tenant.name, created_at: tenant.createdAt, updated_at: tenant.updatedAt }).execute();
    },
    async getById(tenantId) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
      return row && toTenant(row);
    },
    async getBySlug(slug) {
      const row = await db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
      return row && toTenant(row);
    },
    async list() {
      return (await db.selectFrom('tenants').selectAll().orderBy('slug').execute()).map(toTenant);
    },
    async update(tenantId, changes) {
      await db.updateTable('tenants').set({ name: changes.name, updated_at: changes.updatedAt }).where('id', '=', tenantId).execute();
    },
    async delete(tenantId) {
      await db.deleteFrom('role_assignments').where('tenant_id', '=', tenantId).execute();
      await db.deleteFrom('roles').where('tenant_id', '=', tenantId).execute();
      await db.deleteFrom('tenants').where('id', '=', tenantId).execute();
    },
    async countContents(tenantId) {
      const users = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).where('home_tenant_id', '=', tenantId).executeTakeFirstOrThrow();
      const resources = await db.selectFrom('resources').select((eb) => eb.fn.countAll<string | number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
      return { homeUsers: Number(users.n), resources: Number(resources.n) };
    },
  };
}

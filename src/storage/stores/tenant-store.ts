import { sql, type Kysely } from 'kysely';
import { elevationInForceSql } from './role-elevation-sql.ts';
import type { TenantStore } from '../../domain/tenants/tenant-store.ts';
import type { Tenant, TenantMember } from '../../domain/tenants/tenant.ts';
import type { UserStatus } from '../../domain/users/user.ts';
import type { Database } from '../schema.ts';

export const toTenant = (row: Database['tenants']): Tenant => ({ id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });

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
    async listWithCounts() {
      const rows = await db
        .selectFrom('tenants')
        .selectAll('tenants')
        .select((eb) => [
          eb.selectFrom('role_assignments').select((count) => count.fn.countAll<string | number>().as('n')).whereRef('role_assignments.tenant_id', '=', 'tenants.id').as('member_count'),
          eb.selectFrom('users').select((count) => count.fn.countAll<string | number>().as('n')).whereRef('users.home_tenant_id', '=', 'tenants.id').as('home_user_count'),
          eb.selectFrom('resources').select((count) => count.fn.countAll<string | number>().as('n')).whereRef('resources.tenant_id', '=', 'tenants.id').as('resource_count'),
        ])
        .orderBy('tenants.slug')
        .execute();
      return rows.map((row) => ({
        ...toTenant(row),
        memberCount: Number(row.member_count ?? 0),
        homeUserCount: Number(row.home_user_count ?? 0),
        resourceCount: Number(row.resource_count ?? 0),
      }));
    },
    async listMembers(tenantId, page, now) {
      let query = db
        .selectFrom('role_assignments')
        .innerJoin('users', 'users.id', 'role_assignments.user_id')
        .leftJoin('role_elevations as e', (join) =>
          join.onRef('e.user_id', '=', 'role_assignments.user_id').onRef('e.tenant_id', '=', 'role_assignments.tenant_id').on(elevationInForceSql('e', now)),
        )
        .innerJoin('roles', (join) => join.on(sql<boolean>`${sql.ref('roles.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('role_assignments.role_id')})`))
        .leftJoin('roles as permanent', 'permanent.id', 'role_assignments.role_id')
        .innerJoin('tenants as home', 'home.id', 'users.home_tenant_id')
        .select([
          'users.id as user_id',
          'users.email',
          'users.display_name',
          'users.status',
          'home.slug as home_slug',
          'roles.id as role_id',
          'roles.name as role_name',
          'roles.built_in',
          'role_assignments.assigned_at',
          'e.ends_at as elevation_ends_at',
          'e.assigned_at as elevation_assigned_at',
          'permanent.id as permanent_id',
          'permanent.name as permanent_name',
        ])
        .where('role_assignments.tenant_id', '=', tenantId);
      if (page.after) query = query.where('users.id', '>', page.after);
      const rows = await query.orderBy('users.id').limit(page.limit).execute();
      return rows.map(
        (row): TenantMember => ({
          userId: row.user_id,
          email: row.email,
          displayName: row.display_name,
          status: row.status as UserStatus,
          homeTenant: row.home_slug,
          role: { id: row.role_id, name: row.role_name, builtIn: Number(row.built_in) === 1 },
          assignedAt: row.elevation_assigned_at ?? row.assigned_at,
          endsAt: row.elevation_ends_at,
          thenRole: row.elevation_ends_at !== null && row.permanent_id !== null && row.permanent_name !== null ? { id: row.permanent_id, name: row.permanent_name } : null,
        }),
      );
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

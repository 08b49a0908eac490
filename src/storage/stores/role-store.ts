import { sql, type Kysely } from 'kysely';
import type { Permission } from '../../domain/permissions.ts';
import type { AssignmentStore, RoleAssignment, RoleStore } from '../../domain/roles/role-store.ts';
import type { RoleElevation } from '../../domain/roles/role-elevation.ts';
import { elevationInForceSql, roleIdInForceSql } from './role-elevation-sql.ts';
import { normalizeRoleName, type Role } from '../../domain/roles/role.ts';
import type { Engine } from '../open-database.ts';
import type { Database } from '../schema.ts';

export const toRole = (row: Database['roles']): Role => ({
  id: row.id,
  name: row.name,
  description: row.description,
  tenantId: row.tenant_id,
  builtIn: Number(row.built_in) === 1,
  permissions: JSON.parse(row.permissions) as Permission[],
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** An arbitrary, fixed key for PostgreSQL's advisory lock over role names. */
const ROLE_NAMES_LOCK = 7_201_604_101;

export function sqlRoleStore(db: Kysely<Database>, engine: Engine): RoleStore {
  const count = async (tenantId: string | null) => {
    const row = await db
      .selectFrom('roles')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('built_in', '=', 0)
      .where((eb) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId)))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    async create(role) {
      await db
        .insertInto('roles')
        .values({
          id: role.id,
          tenant_id: role.tenantId,
          name: role.name,
          name_normalized: normalizeRoleName(role.name),
          description: role.description,
          built_in: role.builtIn ? 1 : 0,
          permissions: JSON.stringify(role.permissions),
          created_at: role.createdAt,
          updated_at: role.updatedAt,
        })
        .execute();
    },
    async getById(roleId) {
      const row = await db.selectFrom('roles').selectAll().where('id', '=', roleId).executeTakeFirst();
      return row && toRole(row);
    },
    async listVisibleIn(tenantId) {
      const rows = await db
        .selectFrom('roles')
        .selectAll()
        .where((eb) => eb.or([eb('tenant_id', 'is', null), eb('tenant_id', '=', tenantId)]))
        .orderBy('built_in', 'desc')
        .orderBy('name_normalized')
        .execute();
      return rows.map(toRole);
    },
    async listAll() {
      return (await db.selectFrom('roles').selectAll().orderBy('name_normalized').execute()).map(toRole);
    },
    countCustomIn: count,
    async lockNamesForTransaction() {
      // A global role's name must not clash with any tenant's roles, so one lock covers every tenant.
      // SQLite needs none: it runs one writing transaction at a time.
      if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${ROLE_NAMES_LOCK})`.execute(db);
    },
    async update(roleId, changes) {
      await db
        .updateTable('roles')
        .set({
          name: changes.name,
          name_normalized: normalizeRoleName(changes.name),
          description: changes.description,
          permissions: JSON.stringify(changes.permissions),
          updated_at: changes.updatedAt,
        })
        .where('id', '=', roleId)
        .execute();
    },
    async delete(roleId) {
      await db.deleteFrom('roles').where('id', '=', roleId).execute();
    },
  };
}

const toAssignment = (row: Database['role_assignments']): RoleAssignment => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  roleId: row.role_id,
  assignedAt: row.assigned_at,
  assignedBy: row.assigned_by,
});

/** An assignment's row: one place for single and bulk inserts. */
export const toAssignmentRow = (assignment: RoleAssignment): Database['role_assignments'] => ({
  user_id: assignment.userId,
  tenant_id: assignment.tenantId,
  role_id: assignment.roleId,
  assigned_at: assignment.assignedAt,
  assigned_by: assignment.assignedBy,
});

const toElevation = (row: Database['role_elevations']): RoleElevation => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  roleId: row.role_id,
  endsAt: row.ends_at,
  assignedAt: row.assigned_at,
  assignedBy: row.assigned_by,
  accessRequestId: row.access_request_id,
});

export function sqlAssignmentStore(db: Kysely<Database>, engine: Engine): AssignmentStore {
  return {
    async set(assignment) {
      await db
        .insertInto('role_assignments')
        .values(toAssignmentRow(assignment))
        .onConflict((oc) =>
          oc.columns(['user_id', 'tenant_id']).doUpdateSet({ role_id: assignment.roleId, assigned_at: assignment.assignedAt, assigned_by: assignment.assignedBy }),
        )
        .execute();
    },
    async endElevation(tenantId, userId) {
      await db.deleteFrom('role_elevations').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    },
    async get(tenantId, userId) {
      const row = await db.selectFrom('role_assignments').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return row && toAssignment(row);
    },
    async setElevation(elevation) {
      const row = {
        user_id: elevation.userId,
        tenant_id: elevation.tenantId,
        role_id: elevation.roleId,
        ends_at: elevation.endsAt,
        assigned_at: elevation.assignedAt,
        assigned_by: elevation.assignedBy,
        access_request_id: elevation.accessRequestId,
      };
      const { user_id: _user, tenant_id: _tenant, ...changes } = row;
      await db
        .insertInto('role_elevations')
        .values(row)
        .onConflict((oc) => oc.columns(['user_id', 'tenant_id']).doUpdateSet(changes))
        .execute();
    },
    async getElevation(tenantId, userId) {
      const row = await db.selectFrom('role_elevations').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return row && toElevation(row);
    },
    async getRole(tenantId, userId, now) {
      const row = await db
        .selectFrom('role_assignments as ra')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id'))
        .innerJoin('roles', (join) => join.on(sql<boolean>`${sql.ref('roles.id')} = ${roleIdInForceSql('ra', 'e', now)}`))
        .selectAll('roles')
        .where('ra.tenant_id', '=', tenantId)
        .where('ra.user_id', '=', userId)
        .executeTakeFirst();
      return row && toRole(row);
    },
    async getRoleWithTerm(tenantId, userId, now) {
      const row = await db
        .selectFrom('role_assignments as ra')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(elevationInForceSql('e', now)))
        .innerJoin('roles', (join) => join.on(sql<boolean>`${sql.ref('roles.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('ra.role_id')})`))
        .leftJoin('roles as permanent', 'permanent.id', 'ra.role_id')
        .selectAll('roles')
        .select(['e.ends_at as elevation_ends_at', 'permanent.id as permanent_id', 'permanent.name as permanent_name'])
        .where('ra.tenant_id', '=', tenantId)
        .where('ra.user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return undefined;
      const { elevation_ends_at, permanent_id, permanent_name, ...role } = row;
      return {
        role: toRole(role),
        endsAt: elevation_ends_at,
        thenRole: elevation_ends_at !== null && permanent_id !== null && permanent_name !== null ? { id: permanent_id, name: permanent_name } : null,
      };
    },
    async listForUser(userId) {
      return (await db.selectFrom('role_assignments').selectAll().where('user_id', '=', userId).orderBy('assigned_at').execute()).map(toAssignment);
    },
    async listMembershipsOfUser(userId, now) {
      const rows = await db
        .selectFrom('role_assignments as ra')
        .innerJoin('tenants', 'tenants.id', 'ra.tenant_id')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(elevationInForceSql('e', now)))
        .innerJoin('roles', (join) => join.on(sql<boolean>`${sql.ref('roles.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('ra.role_id')})`))
        .leftJoin('roles as permanent', 'permanent.id', 'ra.role_id')
        .selectAll('roles')
        .select(['ra.tenant_id as membership_tenant_id', 'tenants.slug as tenant_slug', 'ra.assigned_at', 'e.ends_at as elevation_ends_at', 'e.assigned_at as elevation_assigned_at', 'permanent.id as permanent_id', 'permanent.name as permanent_name'])
        .where('ra.user_id', '=', userId)
        .orderBy('ra.assigned_at')
        .orderBy('ra.tenant_id')
        .execute();
      return rows.map(({ membership_tenant_id, tenant_slug, assigned_at, elevation_ends_at, elevation_assigned_at, permanent_id, permanent_name, ...role }) => ({
        tenantId: membership_tenant_id,
        tenantSlug: tenant_slug,
        role: toRole(role),
        assignedAt: elevation_assigned_at ?? assigned_at,
        endsAt: elevation_ends_at,
        thenRole: elevation_ends_at !== null && permanent_id !== null && permanent_name !== null ? { id: permanent_id, name: permanent_name } : null,
      }));
    },
    async listForTenant(tenantId) {
      return (await db.selectFrom('role_assignments').selectAll().where('tenant_id', '=', tenantId).orderBy('user_id').execute()).map(toAssignment);
    },
    async remove(tenantId, userId) {
      await db.deleteFrom('role_elevations').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
      await db.deleteFrom('role_assignments').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    },
    async countUsingRole(roleId, now, tenantId) {
      // Members holding it permanently or through an elevation in force, each counted once (an
      // elevation to the role they hold anyway is the same holder).
      let permanent = db.selectFrom('role_assignments').select(['user_id', 'tenant_id']).where('role_id', '=', roleId);
      let elevated = db.selectFrom('role_elevations as e').select(['e.user_id', 'e.tenant_id']).where('e.role_id', '=', roleId).where(elevationInForceSql('e', now));
      if (tenantId !== undefined) {
        permanent = permanent.where('tenant_id', '=', tenantId);
        elevated = elevated.where('e.tenant_id', '=', tenantId);
      }
      const row = await db
        .selectFrom(permanent.union(elevated).as('holders'))
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async listActiveHolders(tenantId, roleId) {
      let query = db
        .selectFrom('role_assignments')
        .innerJoin('users', 'users.id', 'role_assignments.user_id')
        .select('role_assignments.user_id')
        .where('role_assignments.tenant_id', '=', tenantId)
        .where('role_assignments.role_id', '=', roleId)
        .where('users.status', '=', 'active');
      // Two admins demoting each other at once must not both succeed: lock the rows being counted.
      // SQLite needs no lock: it runs one writing transaction at a time.
      if (engine === 'postgres') query = query.forUpdate();
      return (await query.execute()).map((row) => row.user_id);
    },
  };
}

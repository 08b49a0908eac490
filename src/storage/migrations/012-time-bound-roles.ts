import type { Kysely } from 'kysely';

/**
 * Time-bound role assignments and access requests (issue 9, part 2).
 *
 * `role_elevations`: a member's temporary role in a tenant, at most one per member and tenant,
 * which wins over their permanent assignment (`role_assignments`) while `ends_at` is in the
 * future and is inert from that instant on: no sweeper is needed for an elevation to stop
 * granting, and the permanent role applies again by itself. `access_request_id` names the
 * request an approval made it from. A role that is deleted takes its (ended) elevations with it.
 *
 * `access_requests`: a user's request for a role in a tenant, for a duration, with a reason;
 * pending, then approved (with the elevation's end) or denied, by whom and why. The role and the
 * people are also kept by name and email: the record outlives a deleted role.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('role_elevations')
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('role_id', 'text', (column) => column.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('ends_at', 'text', (column) => column.notNull())
    .addColumn('assigned_at', 'text', (column) => column.notNull())
    .addColumn('assigned_by', 'text')
    .addColumn('access_request_id', 'text')
    .addPrimaryKeyConstraint('role_elevations_pk', ['user_id', 'tenant_id'])
    .execute();
  await db.schema.createIndex('role_elevations_tenant_ends').on('role_elevations').columns(['tenant_id', 'ends_at']).execute();
  await db.schema.createIndex('role_elevations_role').on('role_elevations').column('role_id').execute();

  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('user_email', 'text', (column) => column.notNull())
    .addColumn('role_id', 'text', (column) => column.notNull())
    .addColumn('role_name', 'text', (column) => column.notNull())
    .addColumn('duration_seconds', 'integer', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_by_email', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('ends_at', 'text')
    .execute();
  await db.schema.createIndex('access_requests_tenant_status').on('access_requests').columns(['tenant_id', 'status', 'id']).execute();
  await db.schema.createIndex('access_requests_user').on('access_requests').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('access_requests').execute();
  await db.schema.dropTable('role_elevations').execute();
}

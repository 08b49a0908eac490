import { sql, type Kysely } from 'kysely';

/**
 * Indexes for two orders the dashboard reads (issue 12), the same on both engines:
 *
 * - The audit trail of every tenant at once (`GET /audit?scope=all` for the installation's
 *   admins): `audit_events (category, id)`, `(actor_id, id)`, `(subject_id, id)` and
 *   `(occurred_at, id)`, the installation-wide twins of 008's per-tenant ones, so a filtered
 *   page across tenants is one walk newest first that stops at the limit (the plain page walks
 *   the primary key). Four more indexes on an append-only table: each event costs four more
 *   entries when written, which reads of a trail of millions repay.
 * - The users list sorted by a column (`GET /users?sort=`): `users (lower(display_name), id)`
 *   and `users (coalesce(last_login_at, ''), id)` (never signed in sorts as the empty text:
 *   first ascending, last descending). The email order walks the unique index on
 *   `email_normalized` 001 made; creation order is id order (UUIDv7), the primary key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_events_category_id').on('audit_events').columns(['category', 'id']).execute();
  await db.schema.createIndex('audit_events_actor_id').on('audit_events').columns(['actor_id', 'id']).execute();
  await db.schema.createIndex('audit_events_subject_id').on('audit_events').columns(['subject_id', 'id']).execute();
  await db.schema.createIndex('audit_events_occurred_id').on('audit_events').columns(['occurred_at', 'id']).execute();
  await sql`create index users_display_name_order on users (lower(display_name), id)`.execute(db);
  await sql`create index users_last_login_order on users (coalesce(last_login_at, ''), id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_last_login_order').execute();
  await db.schema.dropIndex('users_display_name_order').execute();
  await db.schema.dropIndex('audit_events_occurred_id').execute();
  await db.schema.dropIndex('audit_events_subject_id').execute();
  await db.schema.dropIndex('audit_events_actor_id').execute();
  await db.schema.dropIndex('audit_events_category_id').execute();
}

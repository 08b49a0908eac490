import { sql, type Kysely } from 'kysely';
import { createIndexOnline } from './online-index.ts';

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
/** Built concurrently on PostgreSQL, outside a transaction: audit_events and users may be large (online-index.ts). */
export const transactional = false;

export async function up(db: Kysely<any>): Promise<void> {
  await createIndexOnline(db, { name: 'audit_events_category_id', table: 'audit_events', columns: ['category', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_actor_id', table: 'audit_events', columns: ['actor_id', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_subject_id', table: 'audit_events', columns: ['subject_id', 'id'] });
  await createIndexOnline(db, { name: 'audit_events_occurred_id', table: 'audit_events', columns: ['occurred_at', 'id'] });
  await createIndexOnline(db, { name: 'users_display_name_order', table: 'users', expression: sql`lower(display_name), id` });
  await createIndexOnline(db, { name: 'users_last_login_order', table: 'users', expression: sql`coalesce(last_login_at, ''), id` });
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_last_login_order').execute();
  await db.schema.dropIndex('users_display_name_order').execute();
  await db.schema.dropIndex('audit_events_occurred_id').execute();
  await db.schema.dropIndex('audit_events_subject_id').execute();
  await db.schema.dropIndex('audit_events_actor_id').execute();
  await db.schema.dropIndex('audit_events_category_id').execute();
}

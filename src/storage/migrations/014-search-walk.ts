import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * SQLite: `users_search_walk`, a covering index on `users (id, email_normalized,
 * display_name)`, for a search that walks a tenant's members and tests each (user-store.ts,
 * SEARCH_PLAN): the walk reads the two columns from this narrow index, dozens of users a page,
 * instead of each member's whole row (its password hash, sign-in details…), a page each, and
 * fetches rows for the page's matches alone. Measured on 1M users: the walk of a few thousand
 * members of a large tenant takes about half as long.
 *
 * PostgreSQL: nothing. Its walk reads the rows from shared buffers, and an index-only scan of
 * such an index would depend on the visibility map of a table whose rows change at every
 * sign-in.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`create index users_search_walk on users (id, email_normalized, display_name)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`drop index users_search_walk`.execute(db);
}

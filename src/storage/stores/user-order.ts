import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { UserListQuery, UserSortKey } from '../../domain/users/user-store.ts';
import type { Database } from '../schema.ts';

/**
 * The sort value of each order other than creation, as an expression on `users as u`, the same
 * one the indexes hold (migration 013's `(lower(display_name), id)` and
 * `(coalesce(last_login_at, ''), id)`; the unique index on `email_normalized` from 001).
 */
const SORT_VALUE: Record<Exclude<UserSortKey, 'created'>, RawBuilder<string>> = {
  email: sql<string>`u.email_normalized`,
  name: sql<string>`lower(u.display_name)`,
  lastSignIn: sql<string>`coalesce(u.last_login_at, '')`,
};

/** Whether the page is in an order of the users' own columns (not id order). */
const byUserColumn = (query: Pick<UserListQuery, 'order'>) => query.order !== undefined && query.order.key !== 'created';

/**
 * The tenant's memberships joined to their users. In id order the walk starts from the
 * memberships (the index on (tenant_id, user_id)); sorted by a users' column it starts from
 * the users, through that column's index, and probes each one's membership of the tenant (the
 * primary key (user_id, tenant_id)): SQLite keeps the tables of a CROSS JOIN in the order
 * written, PostgreSQL plans either way by its statistics. Such a walk stops once the page is
 * full: at once in a tenant that holds most users; in a small tenant of a large installation it
 * walks past the users of other tenants, never more than all of them.
 */
export function membersFrom(db: Kysely<Database>, query: Pick<UserListQuery, 'order'>) {
  const fromMemberships = db.selectFrom('role_assignments as ra').innerJoin('users as u', 'u.id', 'ra.user_id');
  if (!byUserColumn(query)) return fromMemberships;
  return db.selectFrom('users as u').crossJoin('role_assignments as ra').whereRef('ra.user_id', '=', 'u.id') as unknown as typeof fromMemberships;
}

type MemberSelect = SelectQueryBuilder<Database & { ra: Database['role_assignments']; u: Database['users'] }, 'ra' | 'u', any>;

/**
 * Orders a page of members (memberPageQuery) and starts it after the cursor: in id order
 * (creation) through the tenant's membership index, either way; by email, name or last sign-in
 * through the users' index of that value, the page's row carrying the value (`sort_value`)
 * for the next cursor. Email is unique, so its order needs no tie-break; name and last
 * sign-in break ties by id, as their indexes do. Never signed in sorts as the empty text.
 */
export function orderMembers<S extends MemberSelect>(select: S, query: Pick<UserListQuery, 'order' | 'after'>): S {
  const order = query.order;
  if (!order || order.key === 'created') {
    const descending = order?.descending ?? false;
    const after = order?.after?.id ?? query.after;
    // The cursor on both sides of the join: PostgreSQL doesn't carry `ra.user_id > x` over to
    // `u.id` by itself, and at 1M users merge-joined the page with the users' key index from its
    // start (444,721 users read for a page of 50 in a 112k-member tenant, 240 ms; 1 ms with this).
    const beyond = descending ? '<' : '>';
    const page = after ? select.where('ra.user_id', beyond, after).where('u.id', beyond, after) : select;
    return page.orderBy('ra.user_id', descending ? 'desc' : 'asc') as S;
  }
  const value = SORT_VALUE[order.key];
  const direction = order.descending ? 'desc' : 'asc';
  const beyond = order.descending ? '<' : '>';
  let page = select.select(value.as('sort_value'));
  if (order.after) {
    const { value: last, id } = order.after;
    page =
      order.key === 'email'
        ? page.where(value, beyond, last)
        : page.where((eb) => eb.or([eb(value, beyond, last), eb.and([eb(value, '=', last), eb('u.id', beyond, id)])]));
  }
  page = page.orderBy(value, direction);
  return (order.key === 'email' ? page : page.orderBy('u.id', direction)) as S;
}

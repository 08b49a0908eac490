import type { Kysely } from 'kysely';
import type { AuditCategory, AuditEvent, AuditOutcome, AuditQuery } from '../../domain/audit/audit-event.ts';
import type { AuditStore } from '../../domain/audit/audit-store.ts';
import type { Database } from '../schema.ts';
import { fromJson, toJson } from './sql-helpers.ts';

const toEvent = (row: Database['audit_events']): AuditEvent => ({
  id: row.id,
  occurredAt: row.occurred_at,
  tenantId: row.tenant_id,
  actorId: row.actor_id,
  actorEmail: row.actor_email,
  category: row.category as AuditCategory,
  action: row.action,
  outcome: row.outcome as AuditOutcome,
  subjectType: row.subject_type,
  subjectId: row.subject_id,
  diff: fromJson(row.diff),
  detail: fromJson(row.detail),
  ip: row.ip,
  userAgent: row.user_agent,
});

/**
 * The statement of one page of the trail, built but not run (the store runs it; tests ask the
 * engine for its plan). Pages go newest or oldest first, a page reading its own rows, not the
 * whole trail:
 *
 * - Without a time window, in id order (ids are time-ordered), through the index that starts
 *   (tenant_id, <filter>, id): category, actor or subject, or the tenant alone.
 * - With a time window (since/until), in (occurred_at, id) order, through the index on
 *   (tenant_id, occurred_at): the walk starts at the window's edge and stops at the limit. In
 *   id order the engine would read every event of the window and sort them for each page (and
 *   for each batch of an export). The cursor stays an event id: its time is looked up by id.
 */
export function auditPageQuery(db: Kysely<Database>, query: AuditQuery) {
  const direction = query.oldestFirst ? 'asc' : 'desc';
  const byTime = Boolean(query.since || query.until);
  const cursor = query.oldestFirst ? query.after : query.before;
  const page = (column?: 'actor_id' | 'subject_id') => {
    let select = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', query.tenantId);
    if (column) select = select.where(column, '=', query.userId!);
    if (query.category) select = select.where('category', '=', query.category);
    if (query.since) select = select.where('occurred_at', '>=', query.since);
    if (query.until) select = select.where('occurred_at', '<', query.until);
    if (query.upTo) select = select.where('id', '<', query.upTo);
    if (cursor && byTime) {
      const at = db.selectFrom('audit_events as cursor').select('cursor.occurred_at').where('cursor.id', '=', cursor).where('cursor.tenant_id', '=', query.tenantId);
      select = query.oldestFirst
        ? select.where((eb) => eb.and([eb('occurred_at', '>=', at), eb.or([eb('occurred_at', '>', at), eb('id', '>', cursor)])]))
        : select.where((eb) => eb.and([eb('occurred_at', '<=', at), eb.or([eb('occurred_at', '<', at), eb('id', '<', cursor)])]));
    } else if (cursor) {
      select = select.where('id', query.oldestFirst ? '>' : '<', cursor);
    }
    return (byTime ? select.orderBy('occurred_at', direction) : select).orderBy('id', direction).limit(query.limit);
  };
  if (!query.userId) return page();
  // By the user or about them: each half walks its own index and stops at the limit (an OR
  // would read every event of the user before sorting); UNION drops an event that is both.
  const both = db.selectFrom(page('actor_id').as('by_user')).selectAll().union(db.selectFrom(page('subject_id').as('about_user')).selectAll());
  return (byTime ? both.orderBy('occurred_at', direction) : both).orderBy('id', direction).limit(query.limit);
}

/** An event's row: one place for single and bulk inserts. */
export const toEventRow = (event: AuditEvent): Database['audit_events'] => ({
  id: event.id,
  occurred_at: event.occurredAt,
  tenant_id: event.tenantId,
  actor_id: event.actorId,
  actor_email: event.actorEmail,
  category: event.category,
  action: event.action,
  outcome: event.outcome,
  subject_type: event.subjectType,
  subject_id: event.subjectId,
  diff: toJson(event.diff),
  detail: toJson(event.detail),
  ip: event.ip,
  user_agent: event.userAgent,
});

export function sqlAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async append(event) {
      await db
        .insertInto('audit_events')
        .values(toEventRow(event))
        .execute();
    },
    async query(query) {
      return (await auditPageQuery(db, query).execute()).map(toEvent);
    },
  };
}

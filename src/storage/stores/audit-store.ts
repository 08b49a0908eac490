import type { Kysely } from 'kysely';
import type { AuditCategory, AuditEvent, AuditOutcome, AuditQuery, AuditStore } from '../../domain/audit/audit-event.ts';
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
 * engine for its plan). Every filter has an index that starts (tenant_id, <filter>, id) or
 * narrows a time window, and pages go by id, newest or oldest first: a page reads its own rows,
 * not the whole trail.
 */
export function auditPageQuery(db: Kysely<Database>, query: AuditQuery) {
  const direction = query.oldestFirst ? 'asc' : 'desc';
  const page = (column?: 'actor_id' | 'subject_id') => {
    let select = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', query.tenantId);
    if (column) select = select.where(column, '=', query.userId!);
    if (query.category) select = select.where('category', '=', query.category);
    if (query.since) select = select.where('occurred_at', '>=', query.since);
    if (query.until) select = select.where('occurred_at', '<', query.until);
    if (query.before) select = select.where('id', '<', query.before);
    if (query.after) select = select.where('id', '>', query.after);
    return select.orderBy('id', direction).limit(query.limit);
  };
  if (!query.userId) return page();
  // By the user or about them: each half walks its own index and stops at the limit (an OR
  // would read every event of the user before sorting); UNION drops an event that is both.
  return db.selectFrom(page('actor_id').as('by_user')).selectAll().union(db.selectFrom(page('subject_id').as('about_user')).selectAll()).orderBy('id', direction).limit(query.limit);
}

export function sqlAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async append(event) {
      await db
        .insertInto('audit_events')
        .values({
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
        })
        .execute();
    },
    async query(query) {
      return (await auditPageQuery(db, query).execute()).map(toEvent);
    },
  };
}

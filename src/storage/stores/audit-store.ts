import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditCategory, AuditEntry, AuditEvent, AuditOutcome, AuditQuery } from '../../domain/audit/audit-event.ts';
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
 * Up to this many tenants, a page over several tenants merges each tenant's own walk (the
 * indexes that start with tenant_id); beyond, it is one walk of the whole trail, filtered to
 * them. (SQLite allows 500 terms in a compound SELECT; a user filter doubles them.)
 */
export const MAX_TENANT_WALKS = 100;

type EventsAs<A extends string> = SelectQueryBuilder<Database & { [K in A]: Database['audit_events'] }, A, Database['audit_events']>;

/**
 * The names behind an event's ids, joined to the page in its own statement (one probe of a
 * primary key each per row): its tenant's slug and name; the actor's and a user subject's
 * display name and email as they are today, when that user is still a member of the event's
 * tenant (as `GET /users/:id` there would answer; the event keeps the id, and the email the
 * actor had when acting); a role's or a tenant's name. `e` is a walk of audit_events, `page`
 * the merge of several.
 */
function withNames<A extends 'e' | 'page'>(select: EventsAs<A>, alias: A) {
  // One alias in the types, the one given in the statement.
  const page = select as unknown as EventsAs<'e'>;
  const column = <C extends keyof Database['audit_events'] & string>(name: C) => `${alias}.${name}` as `e.${C}`;
  return page
    .leftJoin('tenants as t', 't.id', column('tenant_id'))
    .leftJoin('role_assignments as am', (join) => join.onRef('am.user_id', '=', column('actor_id')).onRef('am.tenant_id', '=', column('tenant_id')))
    .leftJoin('users as a', 'a.id', 'am.user_id')
    .leftJoin('role_assignments as sm', (join) => join.onRef('sm.user_id', '=', column('subject_id')).onRef('sm.tenant_id', '=', column('tenant_id')).on(column('subject_type'), '=', 'user'))
    .leftJoin('users as su', 'su.id', 'sm.user_id')
    .leftJoin('roles as sr', (join) => join.onRef('sr.id', '=', column('subject_id')).on(column('subject_type'), '=', 'role'))
    .leftJoin('tenants as st', (join) => join.onRef('st.id', '=', column('subject_id')).on(column('subject_type'), '=', 'tenant'))
    .select((eb) => [
      't.slug as tenant_slug',
      't.name as tenant_name',
      'a.display_name as actor_name',
      eb.fn.coalesce('su.display_name', 'sr.name', 'st.name').as('subject_name'),
      'su.email as subject_email',
    ]);
}

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
 * - Several tenants (`anyOf`): each tenant's walk as above, merged (at most a page from each).
 *   Every tenant (`everyTenant`), or more than MAX_TENANT_WALKS: one walk through the
 *   installation-wide indexes of migration 013 — (category, id), (actor_id, id),
 *   (subject_id, id), (occurred_at, id) — or the primary key, filtered to the tenants if listed.
 *
 * Each row comes with the names behind its ids (see withNames), in the same statement.
 */
export function auditPageQuery(db: Kysely<Database>, query: AuditQuery) {
  const direction = query.oldestFirst ? 'asc' : 'desc';
  const byTime = Boolean(query.since || query.until);
  const cursor = query.oldestFirst ? query.after : query.before;
  const scope = query.tenantId;
  const tenants: readonly string[] | null = typeof scope === 'string' ? [scope] : 'anyOf' in scope ? scope.anyOf : null;
  if (tenants?.length === 0) throw new Error('an audit query needs a tenant');
  const order = (select: EventsAs<'e'>) => (byTime ? select.orderBy('e.occurred_at', direction) : select).orderBy('e.id', direction).limit(query.limit);
  const walk = (tenant: string | readonly string[] | null, column?: 'actor_id' | 'subject_id') => {
    let select = db.selectFrom('audit_events as e').selectAll('e');
    if (typeof tenant === 'string') select = select.where('e.tenant_id', '=', tenant);
    else if (tenant) select = select.where('e.tenant_id', 'in', tenant);
    if (column) select = select.where(`e.${column}`, '=', query.userId!);
    if (query.category) select = select.where('e.category', '=', query.category);
    if (query.since) select = select.where('e.occurred_at', '>=', query.since);
    if (query.until) select = select.where('e.occurred_at', '<', query.until);
    if (query.upTo) select = select.where('e.id', '<', query.upTo);
    if (cursor && byTime) {
      // The cursor's own time, read among the tenants the query may see.
      let at = db.selectFrom('audit_events as cursor').select('cursor.occurred_at').where('cursor.id', '=', cursor);
      if (tenants) at = tenants.length === 1 ? at.where('cursor.tenant_id', '=', tenants[0]!) : at.where('cursor.tenant_id', 'in', tenants);
      select = query.oldestFirst
        ? select.where((eb) => eb.and([eb('e.occurred_at', '>=', at), eb.or([eb('e.occurred_at', '>', at), eb('e.id', '>', cursor)])]))
        : select.where((eb) => eb.and([eb('e.occurred_at', '<=', at), eb.or([eb('e.occurred_at', '<', at), eb('e.id', '<', cursor)])]));
    } else if (cursor) {
      select = select.where('e.id', query.oldestFirst ? '>' : '<', cursor);
    }
    return order(select);
  };
  // By the user or about them: each half walks its own index and stops at the limit (an OR
  // would read every event of the user before sorting); UNION drops an event that is both.
  const walksOf = (tenant: string | readonly string[] | null) => (query.userId ? [walk(tenant, 'actor_id'), walk(tenant, 'subject_id')] : [walk(tenant)]);
  const walks = tenants === null ? walksOf(null) : tenants.length === 1 ? walksOf(tenants[0]!) : tenants.length <= MAX_TENANT_WALKS ? tenants.flatMap(walksOf) : walksOf(tenants);
  if (walks.length === 1) return withNames(walks[0]!, 'e');
  const [first, ...rest] = walks.map((one, index) => db.selectFrom(one.as(`walk_${index}`)).selectAll());
  const merged = rest.reduce((union, one) => union.union(one), first!);
  const page = db.selectFrom(merged.as('page')).selectAll('page');
  const ordered = (byTime ? page.orderBy('page.occurred_at', direction) : page).orderBy('page.id', direction).limit(query.limit);
  return withNames(ordered, 'page');
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
      return (await auditPageQuery(db, query).execute()).map(
        ({ tenant_slug, tenant_name, actor_name, subject_name, subject_email, ...row }): AuditEntry => ({
          ...toEvent(row),
          tenantSlug: tenant_slug,
          tenantName: tenant_name,
          actorName: actor_name,
          subjectName: subject_name,
          subjectEmail: subject_email,
        }),
      );
    },
  };
}

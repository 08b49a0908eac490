import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { toCsv } from '../csv.ts';
import type { AuditCategory, AuditEvent } from './audit-event.ts';
import { recordAudit } from './audit-log.ts';

/** An export larger than this is refused: narrow it by time instead of holding it all in memory. */
export const MAX_EXPORTED_EVENTS = 100_000;

const EXPORT_COLUMNS = ['id', 'occurredAt', 'category', 'action', 'outcome', 'actorId', 'actorEmail', 'subjectType', 'subjectId', 'diff', 'detail', 'ip', 'userAgent'] as const;

export interface AuditFilters {
  user?: string;
  category?: AuditCategory;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

/** Reads the audit trail of the tenant the request acts in, newest first. */
export class AuditService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  async list(actor: Actor, filters: AuditFilters): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    await this.#access.require(actor, 'ViewAuditLogs', actor.tenantId);
    const limit = Math.min(Math.max(filters.limit ?? 100, 1), 500);
    const events = await this.#context.store.audit.query({
      tenantId: actor.tenantId,
      userId: filters.user,
      category: filters.category,
      since: filters.since,
      until: filters.until,
      before: filters.cursor,
      limit: limit + 1,
    });
    const items = events.slice(0, limit);
    return { items, nextCursor: events.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * ExportAuditLogs: every event matching the filters, oldest first, as CSV (diff and detail as
   * JSON text) or JSON. The export itself is audited: who took a copy of the trail, and of what.
   */
  async export(actor: Actor, filters: Omit<AuditFilters, 'cursor' | 'limit'>, format: 'csv' | 'json'): Promise<{ body: string; count: number }> {
    await this.#access.require(actor, 'ExportAuditLogs', actor.tenantId);
    const events: AuditEvent[] = [];
    const pageSize = 1000;
    for (let before: string | undefined; ; ) {
      const page = await this.#context.store.audit.query({ tenantId: actor.tenantId, userId: filters.user, category: filters.category, since: filters.since, until: filters.until, before, limit: pageSize });
      events.push(...page);
      if (events.length > MAX_EXPORTED_EVENTS) {
        throw invalid('EXPORT_TOO_LARGE', `More than ${MAX_EXPORTED_EVENTS} events match; narrow the export with since and until.`);
      }
      if (page.length < pageSize) break;
      before = page.at(-1)!.id;
    }
    events.reverse();
    await recordAudit(this.#context, this.#context.store, actor, {
      category: 'system',
      action: 'audit.exported',
      detail: { format, count: events.length, filters: { user: filters.user ?? null, category: filters.category ?? null, since: filters.since ?? null, until: filters.until ?? null } },
    });
    if (format === 'json') return { body: JSON.stringify({ items: events }), count: events.length };
    const rows = events.map((event) => ({
      ...event,
      outcome: event.outcome,
      diff: event.diff ? JSON.stringify(event.diff) : null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    }));
    return { body: toCsv(EXPORT_COLUMNS, rows), count: events.length };
  }
}

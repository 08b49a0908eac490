import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import { encodeExport, inBatches, type ExportFormat } from '../export-format.ts';
import { newId } from '../ids.ts';
import type { AuditCategory, AuditEvent } from './audit-event.ts';
import { recordAudit } from './audit-log.ts';

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
   * JSON text), one JSON document or JSON Lines, written out as it is read: batches of
   * EXPORT_BATCH_SIZE in keyset order (tenant, filter, id), each batch its own short query, so
   * a trail of any length streams in constant memory and no transaction stays open while a
   * slow client reads.
   *
   * What a reader gets: every event appended before the export began (ids up to the export's
   * own event, which is recorded first and so is never in its own file), each exactly once, in
   * id order (in time order with since/until: see auditPageQuery). The trail is append-only, so reading it in batches at different moments gives the
   * same rows as one snapshot would, with one caveat: an event whose transaction began before
   * the export but commits after the batches passed its id is left out. The export itself is
   * audited before the first row leaves: who took a copy of the trail, and of what.
   */
  async export(actor: Actor, filters: Omit<AuditFilters, 'cursor' | 'limit'>, format: ExportFormat, options: { batchSize?: number } = {}): Promise<AsyncGenerator<string>> {
    await this.#access.require(actor, 'ExportAuditLogs', actor.tenantId);
    // Ids are time-ordered and this one is drawn before the export's own event: the upper bound.
    const upTo = newId();
    await recordAudit(this.#context, this.#context.store, actor, {
      category: 'system',
      action: 'audit.exported',
      detail: { format, filters: { user: filters.user ?? null, category: filters.category ?? null, since: filters.since ?? null, until: filters.until ?? null } },
    });
    const { store } = this.#context;
    const batches = inBatches<AuditEvent>(
      (last, limit) =>
        store.audit.query({ tenantId: actor.tenantId, userId: filters.user, category: filters.category, since: filters.since, until: filters.until, after: last?.id, upTo, oldestFirst: true, limit }),
      options.batchSize,
    );
    return encodeExport(format, EXPORT_COLUMNS, batches, (event) => ({
      ...event,
      diff: event.diff ? JSON.stringify(event.diff) : null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    }));
  }
}

import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { AuditCategory, AuditEvent } from './audit-event.ts';

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
}

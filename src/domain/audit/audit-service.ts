import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import { encodeExport, inBatches, type ExportFormat } from '../export-format.ts';
import { newId } from '../ids.ts';
import type { Permission } from '../permissions.ts';
import type { TwoFactorService } from '../two-factor/two-factor-service.ts';
import type { AuditCategory, AuditEntry, AuditTenants } from './audit-event.ts';
import { recordAudit } from './audit-log.ts';

/** The names behind the ids come last, so a reader of the earlier columns finds them where they were. */
const EXPORT_COLUMNS = [
  'id', 'occurredAt', 'category', 'action', 'outcome', 'actorId', 'actorEmail', 'subjectType', 'subjectId', 'diff', 'detail', 'ip', 'userAgent',
  'tenantSlug', 'actorName', 'subjectName', 'subjectEmail',
] as const;

export interface AuditFilters {
  user?: string;
  category?: AuditCategory;
  since?: string;
  until?: string;
  /** `all`: every tenant the caller may read the trail of (see visibleTenants); the request's tenant otherwise. */
  scope?: 'tenant' | 'all';
  cursor?: string;
  limit?: number;
}

/** Reads the audit trail of the tenant the request acts in, newest first. */
export class AuditService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #twoFactor: TwoFactorService;

  constructor(context: DomainContext, access: AccessService, twoFactor: TwoFactorService) {
    this.#context = context;
    this.#access = access;
    this.#twoFactor = twoFactor;
  }

  async list(actor: Actor, filters: AuditFilters): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const tenantId = await this.#tenantsOf(actor, 'ViewAuditLogs', filters.scope);
    const limit = Math.min(Math.max(filters.limit ?? 100, 1), 500);
    const events = await this.#context.store.audit.query({
      tenantId,
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
    const tenantId = await this.#tenantsOf(actor, 'ExportAuditLogs', filters.scope);
    // Ids are time-ordered and this one is drawn before the export's own event: the upper bound.
    const upTo = newId();
    await recordAudit(this.#context, this.#context.store, actor, {
      category: 'system',
      action: 'audit.exported',
      detail: { format, filters: { user: filters.user ?? null, category: filters.category ?? null, since: filters.since ?? null, until: filters.until ?? null, scope: filters.scope ?? 'tenant' } },
    });
    const { store } = this.#context;
    const batches = inBatches<AuditEntry>(
      (last, limit) =>
        store.audit.query({ tenantId, userId: filters.user, category: filters.category, since: filters.since, until: filters.until, after: last?.id, upTo, oldestFirst: true, limit }),
      options.batchSize,
    );
    return encodeExport(format, EXPORT_COLUMNS, batches, (event) => ({
      ...event,
      diff: event.diff ? JSON.stringify(event.diff) : null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    }));
  }

  /**
   * Whose trail a request reads. The request's tenant, with the permission there; or, with
   * `scope=all`, every tenant the caller may read it in: all of them for the installation's
   * admins (ManageTenants and the permission in `default`), else each tenant where their role
   * grants the permission (their memberships, read in one statement, afresh on each request),
   * and where the request could act: a tenant whose Require 2FA the caller must meet and doesn't
   * (a request acting there is TWO_FACTOR_ENROLLMENT_REQUIRED) is left out.
   * A tenant outside those never appears, whatever the filters.
   */
  async #tenantsOf(actor: Actor, permission: Extract<Permission, 'ViewAuditLogs' | 'ExportAuditLogs'>, scope: AuditFilters['scope']): Promise<AuditTenants> {
    if (scope !== 'all') {
      await this.#access.require(actor, permission, actor.tenantId);
      return actor.tenantId;
    }
    const [{ tenants }, defaultTenantId] = [await this.#access.effectivePermissions(actor.userId), await this.#access.defaultTenantId()];
    const installation = tenants.find((entry) => entry.tenantId === defaultTenantId)?.permissions;
    if (installation?.includes('ManageTenants') && installation.includes(permission)) return { everyTenant: true };
    const visible = await this.#actableIn(actor, tenants.filter((entry) => entry.permissions.includes(permission)).map((entry) => entry.tenantId));
    if (visible.length === 0) {
      await this.#access.require(actor, permission, actor.tenantId);
      return actor.tenantId;
    }
    return visible.length === 1 ? visible[0]! : { anyOf: visible };
  }

  /** Of `tenantIds`, those a request of the actor could act in as far as Require 2FA goes (the request's own tenant it already does). */
  async #actableIn(actor: Actor, tenantIds: string[]): Promise<string[]> {
    const others = tenantIds.filter((tenantId) => tenantId !== actor.tenantId);
    // Mostly one answer for all of them: enrolled, or none of them requires 2FA.
    if (actor.twoFactorExempt || others.length === 0 || !(await this.#twoFactor.enrollmentRequired(actor.userId, others))) return tenantIds;
    const refused = await Promise.all(tenantIds.map((tenantId) => tenantId !== actor.tenantId && this.#twoFactor.enrollmentRequired(actor.userId, [tenantId])));
    return tenantIds.filter((_, index) => !refused[index]);
  }
}

export const AUDIT_CATEGORIES = ['auth', 'authz', 'rbac', 'users', 'tenants', 'tokens', 'sessions', 'resources', 'system'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];
export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEvent {
  id: string;
  occurredAt: string;
  /** The tenant the event belongs to; installation-wide events belong to `default`. */
  tenantId: string;
  actorId: string | null;
  actorEmail: string | null;
  category: AuditCategory;
  action: string;
  outcome: AuditOutcome;
  subjectType: string | null;
  subjectId: string | null;
  /** What changed: the fields before and after. Never a secret. */
  diff: { before: Record<string, unknown> | null; after: Record<string, unknown> | null } | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * An event as the trail is read: with the names behind its ids, joined in the page's own
 * statement (null when the user, role or tenant is gone since, or the event has none).
 */
export interface AuditEntry extends AuditEvent {
  tenantSlug: string | null;
  tenantName: string | null;
  /** The actor's display name today (actorEmail is the email they had when they acted). */
  actorName: string | null;
  /** A user's display name, a role's or a tenant's name. */
  subjectName: string | null;
  /** A user subject's email today. */
  subjectEmail: string | null;
}

/**
 * Whose events a query reads: one tenant (its id), any of several (their union, in one order),
 * or every tenant of the installation. Never empty: a caller who may see no tenant is refused
 * before a query is built.
 */
export type AuditTenants = string | { anyOf: readonly string[] } | { everyTenant: true };

export interface AuditQuery {
  tenantId: AuditTenants;
  /** Events by the user or about the user. */
  userId?: string;
  category?: AuditCategory;
  since?: string;
  until?: string;
  /** The last id of the previous page; pages go newest first. */
  before?: string;
  /** The last id of the previous page when pages go oldest first (an export). */
  after?: string;
  /** Only events with a smaller id (created earlier): where an export stops. */
  upTo?: string;
  /** Oldest first, as an export reads the trail; newest first otherwise. */
  oldestFirst?: boolean;
  limit: number;
}

/** The fields of `after` that differ from `before`, as a before/after pair. */
export function diffOf<T extends object>(before: T, after: T): AuditEvent['diff'] {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      was[key] = before[key];
      now[key] = after[key];
    }
  }
  return { before: was, after: now };
}

import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { toCsv } from '../csv.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { RoleService } from '../roles/role-service.ts';
import type { TokenService } from '../tokens/token-service.ts';
import type { UserLifecycleService } from '../users/user-lifecycle-service.ts';
import type { UserTenancyService } from '../users/user-tenancy-service.ts';
import type { AccessReviewDecisionRecord, AccessReviewRecord, AccessReviewSummary, ReviewDecision } from './governance-store.ts';
import { ADMIN_ROLE_ID } from '../roles/role.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { parseDuration } from '../tokens/duration.ts';
import type { AccessService } from './access-service.ts';
import { ACCESS_REVIEW_FINDING_KINDS, ENDING_SOON_DAYS, accessReviewFindings, type AccessReviewFinding, type AccessReviewFindingKind } from './access-review.ts';
import { fail } from '../error-catalogue.ts';

/** How many rows each of the review's reads returns at most; `truncated` says when one was cut. */
export const ACCESS_REVIEW_READ_LIMIT = 5000;
export const DEFAULT_STALE = '90d';

export interface AccessReviewReport {
  tenant: { id: string; slug: string; name: string };
  generatedAt: string;
  /** The duration asked for (`90d`) and the instant before which activity is stale. */
  stale: string;
  staleBefore: string;
  counts: Record<AccessReviewFindingKind, number>;
  findings: AccessReviewFinding[];
  /** A read hit ACCESS_REVIEW_READ_LIMIT rows: there may be more findings than listed. */
  truncated: boolean;
}

const unitWords = { m: 'minutes', h: 'hours', d: 'days' } as const;

/** The decisions a finding's subject admits; every finding also admits `keep`, the default. */
const DECISIONS_FOR: Record<string, readonly ReviewDecision[]> = {
  user: ['keep', 'suspend', 'remove_role'],
  token: ['keep', 'revoke_token'],
  role: ['keep', 'remove_role'],
  resource: ['keep'],
};

export interface ReviewDecisionInput {
  kind: string;
  subjectId: string;
  decision: ReviewDecision;
}

/**
 * The ordinary, guarded commands a review's decisions are carried out through: each checks its
 * own permission and AccessGuards' rules, writes its own audit event, as from any other route.
 */
export interface ReviewActions {
  userLifecycle: Pick<UserLifecycleService, 'suspend'>;
  userTenancy: Pick<UserTenancyService, 'removeFromTenant'>;
  tokens: Pick<TokenService, 'revokeAny'>;
  roles: Pick<RoleService, 'delete'>;
}

export interface RecordedReview {
  review: AccessReviewRecord & { tenant: string };
  decisions: AccessReviewDecisionRecord[];
}

const REVIEW_EXPORT_COLUMNS = [
  'review_id',
  'tenant',
  'reviewed_at',
  'completed_at',
  'reviewer',
  'stale',
  'finding',
  'subject_type',
  'subject_id',
  'subject_email',
  'subject_name',
  'detail',
  'decision',
  'outcome',
  'error_code',
  'error_message',
] as const;

/**
 * `GET /api/v1/access-review`: the findings of one tenant. The route declares ViewAuditLogs
 * (reviewing access is reading its trail: sign-ins, token use, assignments); the service also
 * requires ViewUsers there, since the report names users, as the users list does. The built-in
 * Viewer ("useful for auditors and oversight") holds both. Another tenant than the request's
 * (`?tenant=`) is the installation's view: ManageTenants, ViewAuditLogs and ViewUsers, all
 * evaluated in `default`.
 */
export class AccessReviewService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #actions: ReviewActions;

  constructor(context: DomainContext, access: AccessService, actions: ReviewActions) {
    this.#context = context;
    this.#access = access;
    this.#actions = actions;
  }

  /**
   * `POST /api/v1/access-reviews`: the report of the request's tenant, taken now, kept as a record
   * with a decision on each finding (`keep` unless the input says otherwise), the decisions carried
   * out one by one through the ordinary commands (each with its own permission, guards and audit
   * event). A decision those refuse is recorded as refused with the error's code and message; the
   * others still apply. The record is written first (outcomes pending) and completed after, with
   * an `access_review.recorded` event in category rbac.
   */
  async record(actor: Actor, input: { stale?: string; note?: string; decisions?: readonly ReviewDecisionInput[] }): Promise<RecordedReview> {
    const report = await this.report(actor, { stale: input.stale });
    const byFinding = new Map(report.findings.map((finding, position) => [`${finding.kind}\u0000${finding.subject.id}`, { finding, position }]));
    const chosen = new Map<number, ReviewDecision>();
    (input.decisions ?? []).forEach((decision, index) => {
      const found = byFinding.get(`${decision.kind}\u0000${decision.subjectId}`);
      if (!found) {
        throw fail('FINDING_NOT_IN_REVIEW', { index, slug: report.tenant.slug, kind: decision.kind, subjectId: decision.subjectId.slice(0, 100) }, { field: `decisions.${index}` });
      }
      if (!DECISIONS_FOR[found.finding.subject.type]!.includes(decision.decision)) {
        throw fail('DECISION_NOT_APPLICABLE', { index, decision: decision.decision, type: found.finding.subject.type, DECISIONS_FOR: DECISIONS_FOR[found.finding.subject.type]!.join(', ') }, { field: `decisions.${index}` });
      }
      if (chosen.has(found.position)) throw fail('DECISION_REPEATED', { index }, { field: `decisions.${index}` });
      chosen.set(found.position, decision.decision);
    });
    const { store, clock } = this.#context;
    const review: AccessReviewRecord = {
      id: newId(),
      tenantId: report.tenant.id,
      reviewerId: actor.userId,
      reviewerEmail: actor.email,
      stale: report.stale,
      staleBefore: report.staleBefore,
      note: input.note?.trim() || null,
      truncated: report.truncated,
      createdAt: clock.now().toISOString(),
      completedAt: null,
    };
    const decisions: AccessReviewDecisionRecord[] = report.findings.map((finding, position) => {
      const decision = chosen.get(position) ?? 'keep';
      return { reviewId: review.id, position, findingKind: finding.kind, subject: finding.subject, detail: finding.detail, decision, outcome: decision === 'keep' ? 'kept' : 'pending', error: null };
    });
    await store.transaction((tx) => tx.governance.createReview(review, decisions));

    // The same change asked twice (two findings about one user, both "suspend") is done once.
    const done = new Map<string, Pick<AccessReviewDecisionRecord, 'outcome' | 'error'>>();
    for (const decision of decisions) {
      if (decision.decision === 'keep') continue;
      const key = `${decision.decision}\u0000${decision.subject.type}\u0000${decision.subject.id}`;
      let result = done.get(key);
      if (!result) {
        result = await this.#apply(actor, decision);
        done.set(key, result);
      }
      decision.outcome = result.outcome;
      decision.error = result.error;
    }
    const completedAt = clock.now().toISOString();
    const counts = { findings: decisions.length, applied: decisions.filter((entry) => entry.outcome === 'applied').length, refused: decisions.filter((entry) => entry.outcome === 'refused').length };
    await store.transaction(async (tx) => {
      await tx.governance.completeReview(review.id, decisions.filter((entry) => entry.decision !== 'keep'), completedAt);
      await recordAudit(this.#context, tx, actor, {
        tenantId: review.tenantId,
        category: 'rbac',
        action: 'access_review.recorded',
        subjectType: 'access_review',
        subjectId: review.id,
        detail: { stale: review.stale, ...counts, kept: counts.findings - counts.applied - counts.refused - decisions.filter((entry) => entry.outcome === 'pending').length },
      });
    });
    return { review: { ...review, completedAt, tenant: report.tenant.slug }, decisions };
  }

  /** Past reviews of the request's tenant, newest first (ViewAuditLogs and ViewUsers there). */
  async list(actor: Actor, input: { cursor?: string; limit?: number }): Promise<{ items: AccessReviewSummary[]; nextCursor: string | null }> {
    await this.#reviewedTenant(actor, undefined);
    const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
    const items = await this.#context.store.governance.listReviews(actor.tenantId, { before: input.cursor, limit });
    return { items, nextCursor: items.length === limit ? items.at(-1)!.id : null };
  }

  /** One past review of the request's tenant with every finding and its decision; another tenant's is "not found". */
  async get(actor: Actor, reviewId: string): Promise<RecordedReview> {
    const tenant = await this.#reviewedTenant(actor, undefined);
    const found = await this.#context.store.governance.getReview(actor.tenantId, reviewId);
    if (!found) throw fail('ACCESS_REVIEW_NOT_FOUND', { reviewId: reviewId.slice(0, 100) });
    return { review: { ...found.review, tenant: tenant.slug }, decisions: found.decisions };
  }

  /**
   * Every decision of the tenant's reviews as CSV, one row per finding, oldest review first: the
   * file an auditor asks for (ExportAuditLogs, declared on the route; ViewUsers too, since it
   * names users). The export is itself audited, as the audit trail's is.
   */
  async exportCsv(actor: Actor): Promise<{ csv: string; tenant: string }> {
    await this.#access.require(actor, 'ExportAuditLogs', actor.tenantId);
    const tenant = await this.#reviewedTenant(actor, undefined);
    const rows = await this.#context.store.governance.listDecisionsOfTenant(tenant.id);
    await recordAudit(this.#context, this.#context.store, actor, { category: 'rbac', action: 'access_review.exported', detail: { rows: rows.length } });
    const csv = toCsv(
      REVIEW_EXPORT_COLUMNS,
      rows.map(({ review, decision }) => ({
        review_id: review.id,
        tenant: tenant.slug,
        reviewed_at: review.createdAt,
        completed_at: review.completedAt,
        reviewer: review.reviewerEmail,
        stale: review.stale,
        finding: decision.findingKind,
        subject_type: decision.subject.type,
        subject_id: decision.subject.id,
        subject_email: decision.subject.email,
        subject_name: decision.subject.name,
        detail: decision.detail,
        decision: decision.decision,
        outcome: decision.outcome,
        error_code: decision.error?.code ?? null,
        error_message: decision.error?.message ?? null,
      })),
    );
    return { csv, tenant: tenant.slug };
  }

  /** Carries out one decision through its ordinary command; a refusal by the domain is an outcome, not a failure of the review. */
  async #apply(actor: Actor, decision: AccessReviewDecisionRecord): Promise<Pick<AccessReviewDecisionRecord, 'outcome' | 'error'>> {
    const { id, type } = decision.subject;
    try {
      if (decision.decision === 'suspend') await this.#actions.userLifecycle.suspend(actor, id);
      else if (decision.decision === 'revoke_token') await this.#actions.tokens.revokeAny(actor, id);
      else if (decision.decision === 'remove_role' && type === 'role') await this.#actions.roles.delete(actor, id);
      else if (decision.decision === 'remove_role') await this.#actions.userTenancy.removeFromTenant(actor, id);
      return { outcome: 'applied', error: null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { outcome: 'refused', error: { code: error.code, message: error.message } };
    }
  }

  async report(actor: Actor, input: { tenant?: string; stale?: string }): Promise<AccessReviewReport> {
    const { store, clock } = this.#context;
    const staleText = (input.stale ?? DEFAULT_STALE).trim();
    const staleMs = parseDuration(staleText, 'stale');
    const tenant = await this.#reviewedTenant(actor, input.tenant);
    const now = clock.now();
    const staleBefore = new Date(now.getTime() - staleMs).toISOString();
    const includeGlobalRoles = tenant.id === (await this.#access.defaultTenantId(store));
    const [members, tokens, unheldRoles, orphans, endingElevations] = await Promise.all([
      store.governance.listReviewMembers(tenant.id, { signedInBefore: staleBefore, adminRoleId: ADMIN_ROLE_ID, limit: ACCESS_REVIEW_READ_LIMIT, now: now.toISOString() }),
      store.governance.listReviewTokens(tenant.id, { now: now.toISOString(), usedBefore: staleBefore, limit: ACCESS_REVIEW_READ_LIMIT }),
      // Global custom roles are governed from `default`, so they are reviewed there.
      store.governance.listUnheldCustomRoles(tenant.id, includeGlobalRoles, now.toISOString()),
      store.resources.listOrphans(tenant.id, staleBefore, ACCESS_REVIEW_READ_LIMIT),
      store.governance.listEndingElevations(tenant.id, { now: now.toISOString(), endsBefore: new Date(now.getTime() + ENDING_SOON_DAYS * 86_400_000).toISOString(), limit: ACCESS_REVIEW_READ_LIMIT }),
    ]);
    const amount = Number(staleText.slice(0, -1));
    const findings = accessReviewFindings({
      now: now.toISOString(),
      staleBefore,
      staleFor: `${amount} ${amount === 1 ? unitWords[staleText.at(-1) as keyof typeof unitWords].slice(0, -1) : unitWords[staleText.at(-1) as keyof typeof unitWords]}`,
      members,
      tokens,
      unheldRoles,
      orphans,
      endingElevations,
    });
    const counts = Object.fromEntries(ACCESS_REVIEW_FINDING_KINDS.map((kind) => [kind, 0])) as Record<AccessReviewFindingKind, number>;
    for (const finding of findings) counts[finding.kind]++;
    return {
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
      generatedAt: now.toISOString(),
      stale: staleText,
      staleBefore,
      counts,
      findings,
      truncated: [members.length, tokens.length, orphans.length, endingElevations.length].some((length) => length >= ACCESS_REVIEW_READ_LIMIT),
    };
  }

  /** The request's tenant (ViewAuditLogs and ViewUsers there), or, named by `?tenant=`, any tenant for the installation's admins. */
  async #reviewedTenant(actor: Actor, reference: string | undefined): Promise<Tenant> {
    const { store } = this.#context;
    const acting = async () => {
      await this.#access.require(actor, 'ViewAuditLogs', actor.tenantId);
      await this.#access.require(actor, 'ViewUsers', actor.tenantId);
      const tenant = await store.tenants.getById(actor.tenantId);
      if (!tenant) throw fail('TENANT_NOT_FOUND', { tenant: actor.tenantId });
      return tenant;
    };
    if (reference === undefined) return acting();
    const named = (await store.tenants.getBySlug(reference)) ?? (await store.tenants.getById(reference));
    if (named?.id === actor.tenantId) return acting();
    const home = await this.#access.defaultTenantId(store);
    // Checked before saying whether the tenant exists: to anyone else, every other tenant is "not found".
    const installationAdmin = (await this.#access.holds(actor, 'ManageTenants', home)) && (await this.#access.holds(actor, 'ViewAuditLogs', home)) && (await this.#access.holds(actor, 'ViewUsers', home));
    if (!named || !installationAdmin) {
      throw fail('TENANT_NOT_FOUND', { tenant: reference.slice(0, 100) });
    }
    return named;
  }
}

import type { Actor, DomainContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { ADMIN_ROLE_ID } from '../roles/role.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { parseDuration } from '../tokens/duration.ts';
import type { AccessService } from './access-service.ts';
import { ACCESS_REVIEW_FINDING_KINDS, accessReviewFindings, type AccessReviewFinding, type AccessReviewFindingKind } from './access-review.ts';

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

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  async report(actor: Actor, input: { tenant?: string; stale?: string }): Promise<AccessReviewReport> {
    const { store, clock } = this.#context;
    const staleText = (input.stale ?? DEFAULT_STALE).trim();
    const staleMs = parseDuration(staleText, 'stale');
    const tenant = await this.#reviewedTenant(actor, input.tenant);
    const now = clock.now();
    const staleBefore = new Date(now.getTime() - staleMs).toISOString();
    const includeGlobalRoles = tenant.id === (await this.#access.defaultTenantId(store));
    const [members, tokens, unheldRoles, orphans] = await Promise.all([
      store.governance.listReviewMembers(tenant.id, { signedInBefore: staleBefore, adminRoleId: ADMIN_ROLE_ID, limit: ACCESS_REVIEW_READ_LIMIT }),
      store.governance.listReviewTokens(tenant.id, { now: now.toISOString(), usedBefore: staleBefore, limit: ACCESS_REVIEW_READ_LIMIT }),
      // Global custom roles are governed from `default`, so they are reviewed there.
      store.governance.listUnheldCustomRoles(tenant.id, includeGlobalRoles),
      store.resources.listOrphans(tenant.id, staleBefore, ACCESS_REVIEW_READ_LIMIT),
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
      truncated: [members.length, tokens.length, orphans.length].some((length) => length >= ACCESS_REVIEW_READ_LIMIT),
    };
  }

  /** The request's tenant (ViewAuditLogs and ViewUsers there), or, named by `?tenant=`, any tenant for the installation's admins. */
  async #reviewedTenant(actor: Actor, reference: string | undefined): Promise<Tenant> {
    const { store } = this.#context;
    const acting = async () => {
      await this.#access.require(actor, 'ViewAuditLogs', actor.tenantId);
      await this.#access.require(actor, 'ViewUsers', actor.tenantId);
      const tenant = await store.tenants.getById(actor.tenantId);
      if (!tenant) throw notFound('TENANT_NOT_FOUND', 'The tenant of this request no longer exists.');
      return tenant;
    };
    if (reference === undefined) return acting();
    const named = (await store.tenants.getBySlug(reference)) ?? (await store.tenants.getById(reference));
    if (named?.id === actor.tenantId) return acting();
    const home = await this.#access.defaultTenantId(store);
    // Checked before saying whether the tenant exists: to anyone else, every other tenant is "not found".
    const installationAdmin = (await this.#access.holds(actor, 'ManageTenants', home)) && (await this.#access.holds(actor, 'ViewAuditLogs', home)) && (await this.#access.holds(actor, 'ViewUsers', home));
    if (!named || !installationAdmin) {
      throw notFound('TENANT_NOT_FOUND', `No tenant "${reference.slice(0, 100)}" exists, or you may not review it (another tenant than the request's needs ManageTenants, ViewAuditLogs and ViewUsers in "default").`);
    }
    return named;
  }
}

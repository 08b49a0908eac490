import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { fail } from '../error-catalogue.ts';
import { newId } from '../ids.ts';
import type { Permission } from '../permissions.ts';
import { accessRequestMessage } from '../mail/messages.ts';
import type { Store } from '../store.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { parseDuration } from '../tokens/duration.ts';
import type { UserTenancyService } from '../users/user-tenancy-service.ts';
import type { AccessRequest, AccessRequestStatus } from './access-request.ts';
import type { AccessService } from './access-service.ts';
import { describeDuration, mayApproveRefusal, maxElevationFor, permissionsGrantedIn, resolveRole, type AccessGuards } from './guards.ts';
import { permissionsOfRole } from './access-service.ts';

/** An access request as the API shows it. */
export interface AccessRequestView {
  id: string;
  tenant: { id: string; slug: string };
  user: { id: string; email: string };
  role: { id: string; name: string };
  durationSeconds: number;
  /** The duration in words ("4 hours"). */
  duration: string;
  reason: string;
  status: AccessRequestStatus;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: { id: string; email: string | null } | null;
  decisionReason: string | null;
  /** Approved: when the time-bound role it gave ends. */
  endsAt: string | null;
}

/** A row of the approvers' list: may the caller decide it (guards.ts, rule 7)? The approval itself checks again. */
export type AccessRequestListItem = AccessRequestView & { mayApprove: boolean; refusal: string | null };

const PAGE_LIMIT = 50;
/** The approvers a request mails at most. */
const MAILED_APPROVERS = 50;

function view(request: AccessRequest): AccessRequestView {
  return {
    id: request.id,
    tenant: { id: request.tenantId, slug: request.tenantSlug },
    user: { id: request.userId, email: request.userEmail },
    role: { id: request.roleId, name: request.roleName },
    durationSeconds: request.durationSeconds,
    duration: describeDuration(request.durationSeconds * 1000),
    reason: request.reason,
    status: request.status,
    createdAt: request.createdAt,
    decidedAt: request.decidedAt,
    decidedBy: request.decidedBy === null ? null : { id: request.decidedBy, email: request.decidedByEmail },
    decisionReason: request.decisionReason,
    endsAt: request.endsAt,
  };
}

/**
 * Access requests (issue 9, part 2): a member asks for a role in a tenant for a while, with a
 * reason; an eligible approver approves — the time-bound assignment is made through
 * UserTenancyService.setTimeBoundRole, the guarded path of `set-role --for` — or denies. Every step
 * is audited in category `rbac` in the transaction of its change; approvers are mailed through the
 * outbox when SMTP is configured.
 */
export class AccessRequestService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;
  readonly #tenancy: UserTenancyService;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards, tenancy: UserTenancyService) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
    this.#tenancy = tenancy;
  }

  /** Asks for `role` in `tenant` (slug or id; default the tenant the request acts in), where the caller is a member, for `duration`. */
  async request(actor: Actor, input: { role: string; tenant?: string; duration: string; reason: string }): Promise<AccessRequestView> {
    const durationMs = parseDuration(input.duration, 'duration');
    const reason = input.reason.trim();
    return this.#context.store.transaction(async (store) => {
      const tenant = await this.#memberTenant(store, actor, input.tenant);
      const role = await resolveRole(store, tenant.id, input.role);
      // Asking for more than anyone may approve would only wait forever: refused at once, as the approval would be.
      this.#guards.guardElevationWithinMaximum(durationMs, maxElevationFor(this.#context.settings, tenant.slug), tenant.slug);
      const now = this.#context.clock.now();
      const request: AccessRequest = {
        id: newId(),
        tenantId: tenant.id,
        tenantSlug: tenant.slug,
        userId: actor.userId,
        userEmail: actor.email,
        roleId: role.id,
        roleName: role.name,
        durationSeconds: Math.round(durationMs / 1000),
        reason,
        status: 'pending',
        createdAt: now.toISOString(),
        decidedAt: null,
        decidedBy: null,
        decidedByEmail: null,
        decisionReason: null,
        endsAt: null,
      };
      await store.accessRequests.create(request);
      await recordAudit(this.#context, store, actor, {
        tenantId: tenant.id,
        category: 'rbac',
        action: 'access_request.created',
        subjectType: 'access_request',
        subjectId: request.id,
        detail: { role: role.name, durationSeconds: request.durationSeconds, reason },
      });
      if (this.#context.settings.mailEnabled) {
        const approvers = (await this.#approvers(store, request)).slice(0, MAILED_APPROVERS);
        for (const approver of approvers) {
          await store.mail.enqueue(
            accessRequestMessage({
              tenantId: tenant.id,
              userId: approver.id,
              recipient: approver.email,
              now,
              requesterEmail: actor.email,
              roleName: role.name,
              tenantSlug: tenant.slug,
              duration: describeDuration(durationMs),
              reason,
              requestId: request.id,
              publicUrl: this.#context.settings.publicUrl,
            }),
          );
        }
      }
      return view(request);
    });
  }

  /** The caller's own requests, every tenant, newest first. */
  async listMine(actor: Actor, query: { cursor?: string; limit?: number }): Promise<{ items: AccessRequestView[]; nextCursor: string | null }> {
    const limit = Math.min(query.limit ?? PAGE_LIMIT, PAGE_LIMIT);
    const rows = await this.#context.store.accessRequests.listForUser(actor.userId, { before: query.cursor, limit: limit + 1 });
    return { items: rows.slice(0, limit).map(view), nextCursor: rows.length > limit ? rows[limit - 1]!.id : null };
  }

  /** The requests of the tenant the request acts in (AssignRoles there), newest first, each saying whether the caller may approve it. */
  async list(actor: Actor, query: { status?: AccessRequestStatus; cursor?: string; limit?: number }): Promise<{ items: AccessRequestListItem[]; nextCursor: string | null }> {
    const { store } = this.#context;
    await this.#access.require(actor, 'AssignRoles', actor.tenantId);
    const limit = Math.min(query.limit ?? PAGE_LIMIT, PAGE_LIMIT);
    const rows = await store.accessRequests.listForTenant(actor.tenantId, { status: query.status, before: query.cursor, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const inDefault = actor.tenantId === (await this.#access.defaultTenantId());
    // What the caller may hand out (a time-bound role of theirs lends nothing to grant), as the approval's guard counts it.
    const held = await this.#access.grantablePermissionsOf(actor, actor.tenantId);
    const roles = new Map((await store.roles.listVisibleIn(actor.tenantId)).map((role) => [role.id, role]));
    const requesters = new Map<string, ReadonlySet<Permission> | undefined>();
    const items: AccessRequestListItem[] = [];
    for (const request of page) {
      let refusal: string | null = request.status === 'pending' ? null : 'ACCESS_REQUEST_DECIDED';
      const role = roles.get(request.roleId);
      if (refusal === null && !role) refusal = 'ROLE_NOT_FOUND';
      if (refusal === null && role) {
        if (!requesters.has(request.userId)) {
          const member = await store.assignments.get(actor.tenantId, request.userId);
          requesters.set(request.userId, member ? await this.#access.permissionsIn(request.userId, actor.tenantId) : undefined);
        }
        const userHeld = requesters.get(request.userId);
        refusal = userHeld === undefined ? 'ELEVATION_NEEDS_MEMBERSHIP' : mayApproveRefusal({ assignerId: actor.userId, assignerHeld: held, userId: request.userId, userHeld, role, inDefault });
      }
      items.push({ ...view(request), mayApprove: refusal === null, refusal });
    }
    return { items, nextCursor: rows.length > limit ? page.at(-1)!.id : null };
  }

  /** One request of the tenant the request acts in (AssignRoles there); another tenant's is "not found". */
  async get(actor: Actor, requestId: string): Promise<AccessRequestView> {
    await this.#access.require(actor, 'AssignRoles', actor.tenantId);
    const request = await this.#context.store.accessRequests.get(actor.tenantId, requestId);
    if (!request) throw fail('ACCESS_REQUEST_NOT_FOUND', { requestId: requestId.slice(0, 100) });
    return view(request);
  }

  /**
   * Approves a pending request of the tenant the request acts in: the requester gets the role
   * for the duration asked (or the shorter `duration` given), from now, through the guarded
   * time-bound assignment; never longer than the tenant's Sophon:Rbac:MaxElevation.
   */
  async approve(actor: Actor, requestId: string, input: { duration?: string; reason?: string }): Promise<AccessRequestView> {
    const durationOverride = input.duration === undefined ? undefined : parseDuration(input.duration, 'duration');
    return this.#context.store.transaction(async (store) => {
      const request = await this.#guards.mayDecideAccessRequest(store, actor, await store.accessRequests.get(actor.tenantId, requestId), requestId);
      const durationMs = durationOverride ?? request.durationSeconds * 1000;
      this.#guards.guardElevationWithinMaximum(durationMs, maxElevationFor(this.#context.settings, request.tenantSlug), request.tenantSlug);
      this.#guards.guardApprovalWithinRequest(durationMs, request.durationSeconds * 1000);
      const now = this.#context.clock.now();
      const endsAt = new Date(now.getTime() + durationMs).toISOString();
      const { role } = await this.#tenancy.setTimeBoundRole(store, actor, request.userId, request.roleId, request.tenantId, endsAt, request.id);
      const decision = { status: 'approved' as const, decidedAt: now.toISOString(), decidedBy: actor.userId, decidedByEmail: actor.email, decisionReason: input.reason?.trim() || null, endsAt };
      if (!(await store.accessRequests.decide(request.tenantId, request.id, decision))) throw fail('ACCESS_REQUEST_DECIDED', { status: 'decided' });
      await recordAudit(this.#context, store, actor, {
        tenantId: request.tenantId,
        category: 'rbac',
        action: 'access_request.approved',
        subjectType: 'access_request',
        subjectId: request.id,
        detail: { userId: request.userId, role: role.name, endsAt, durationSeconds: Math.round(durationMs / 1000), reason: decision.decisionReason },
      });
      return view({ ...request, ...decision });
    });
  }

  /** Denies a pending request of the tenant the request acts in, with a reason the requester sees. */
  async deny(actor: Actor, requestId: string, input: { reason?: string }): Promise<AccessRequestView> {
    return this.#context.store.transaction(async (store) => {
      const request = await this.#guards.mayDecideAccessRequest(store, actor, await store.accessRequests.get(actor.tenantId, requestId), requestId);
      const decision = {
        status: 'denied' as const,
        decidedAt: this.#context.clock.now().toISOString(),
        decidedBy: actor.userId,
        decidedByEmail: actor.email,
        decisionReason: input.reason?.trim() || null,
        endsAt: null,
      };
      if (!(await store.accessRequests.decide(request.tenantId, request.id, decision))) throw fail('ACCESS_REQUEST_DECIDED', { status: 'decided' });
      await recordAudit(this.#context, store, actor, {
        tenantId: request.tenantId,
        category: 'rbac',
        action: 'access_request.denied',
        subjectType: 'access_request',
        subjectId: request.id,
        detail: { userId: request.userId, role: request.roleName, reason: decision.decisionReason },
      });
      return view({ ...request, ...decision });
    });
  }

  /** The tenant named (slug or id) or the acting one, where the caller is a member; any other is "not found". */
  async #memberTenant(store: Store, actor: Actor, reference: string | undefined): Promise<Tenant> {
    const tenant = reference === undefined ? await store.tenants.getById(actor.tenantId) : ((await store.tenants.getBySlug(reference)) ?? (await store.tenants.getById(reference)));
    const member = tenant && (await store.assignments.get(tenant.id, actor.userId));
    if (!tenant || !member) throw fail('TENANT_NOT_FOUND', { tenant: (reference ?? actor.tenantId).slice(0, 100) });
    return tenant;
  }

  /** The active users who may approve the request (`mayApproveRefusal` over the tenant's holders of AssignRoles), by email. */
  async #approvers(store: Store, request: AccessRequest): Promise<{ id: string; email: string }[]> {
    const inDefault = request.tenantId === (await this.#access.defaultTenantId(store));
    const roles = await store.roles.listVisibleIn(request.tenantId);
    const rolesById = new Map(roles.map((role) => [role.id, role]));
    const role = rolesById.get(request.roleId);
    if (!role) return [];
    const assigning = roles.filter((candidate) => permissionsGrantedIn(candidate, inDefault).has('AssignRoles'));
    const now = this.#context.clock.now().toISOString();
    const holders = await store.governance.listHoldersWithRoles(request.tenantId, assigning.map((candidate) => candidate.id), [], now);
    const requesterRole = await store.assignments.getRole(request.tenantId, request.userId, now);
    if (!requesterRole) return [];
    const requesterHeld = permissionsGrantedIn(requesterRole, inDefault);
    const approvers: { id: string; email: string }[] = [];
    for (const holder of holders) {
      const held = rolesById.get(holder.roleId);
      if (!held || holder.tenantId !== request.tenantId) continue;
      const refusal = mayApproveRefusal({ assignerId: holder.user.id, assignerHeld: permissionsGrantedIn(held, inDefault), userId: request.userId, userHeld: requesterHeld, role, inDefault });
      if (refusal === null) approvers.push({ id: holder.user.id, email: holder.user.email });
    }
    return approvers;
  }
}


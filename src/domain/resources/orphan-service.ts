import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { parseDuration } from '../tokens/duration.ts';
import type { OwnedResource } from './resource.ts';
import { fail } from '../error-catalogue.ts';

/** What purge deletes per statement; a purge loops over batches until nothing old enough is left. */
const PURGE_BATCH = 1000;
/** How many purged (or, in a dry run, purgeable) items an answer lists; the counts are always complete. */
const ITEMS_LISTED = 1000;

export type OrphanItem = Pick<OwnedResource, 'id' | 'tenantId' | 'kind' | 'name' | 'previousOwnerId' | 'orphanedAt'> & { tenant: string };

/**
 * Orphans in a tenant the caller belongs to that a command left alone, and why: the caller lacks
 * ManageUsers there, or (reassign) the new owner is no member there.
 */
export interface SkippedOrphans {
  tenantId: string;
  tenant: string;
  count: number;
  reason: 'PERMISSION_MISSING' | 'RECIPIENT_NOT_MEMBER';
}

export interface ReassignResult {
  /** The total, over `tenants`. */
  reassigned: number;
  tenants: { tenantId: string; tenant: string; reassigned: number }[];
  skipped: SkippedOrphans[];
  /** The former owner's orphans in tenants where the caller has no role: neither named nor touched. */
  inOtherTenants: number;
}

export interface PurgeResult {
  dryRun: boolean;
  /** The total, over `tenants`. */
  count: number;
  tenants: { tenantId: string; tenant: string; count: number }[];
  skipped: SkippedOrphans[];
  /** The first ITEMS_LISTED of them, oldest first in each tenant; `itemsTruncated` when there were more. */
  items: OrphanItem[];
  itemsTruncated: boolean;
}

/**
 * Orphans are the agents, workflows, memory and documents of deleted users. Admins reassign them
 * to a colleague or purge old ones in every tenant where they hold ManageUsers, tenant by tenant
 * (the route's ManageUsers in the acting tenant, then the same permission in each tenant touched),
 * with an audit event in each tenant's own trail. What they can't touch in a tenant they belong
 * to is counted per tenant; tenants they don't belong to are never named.
 */
export class OrphanService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  /**
   * `sophon admin users reassign --from <old-id> --to <new-id>`: in one transaction, in every tenant
   * where the caller manages users and the new owner is a member.
   */
  async reassign(actor: Actor, input: { from: string; to: string }): Promise<ReassignResult> {
    if (input.to === input.from) throw fail('REASSIGN_TO_SAME_USER');
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
      const [managed, recipient] = await Promise.all([this.#callerTenants(actor, store), store.users.getById(input.to)]);
      const recipientTenants = new Set(recipient ? (await store.assignments.listForUser(recipient.id)).map((assignment) => assignment.tenantId) : []);
      // The new owner exists for the caller only as a member of a tenant where the caller manages users.
      if (![...managed].some(([tenantId, mayManage]) => mayManage && recipientTenants.has(tenantId))) {
        throw fail('USER_NOT_FOUND', { user: input.to, where: 'in a tenant where you manage users, to receive the orphans' });
      }
      const now = this.#context.clock.now().toISOString();
      const result: ReassignResult = { reassigned: 0, tenants: [], skipped: [], inOtherTenants: 0 };
      for (const { tenantId, count } of await store.resources.countOrphans({ previousOwnerId: input.from })) {
        const mayManage = managed.get(tenantId);
        if (mayManage === undefined) {
          result.inOtherTenants += count;
          continue;
        }
        const tenant = await this.#slugOf(tenantId, store);
        if (!mayManage || !recipientTenants.has(tenantId)) {
          result.skipped.push({ tenantId, tenant, count, reason: mayManage ? 'RECIPIENT_NOT_MEMBER' : 'PERMISSION_MISSING' });
          continue;
        }
        const reassigned = await store.resources.reassignOrphans(tenantId, input.from, input.to, now);
        result.tenants.push({ tenantId, tenant, reassigned });
        result.reassigned += reassigned;
        await this.#auditReassigned(actor, store, tenantId, input, reassigned);
      }
      // The command is on the acting tenant's trail even when nothing of the former owner was there.
      if (!result.tenants.some((entry) => entry.tenantId === actor.tenantId)) await this.#auditReassigned(actor, store, actor.tenantId, input, 0);
      return result;
    });
  }

  /**
   * `sophon admin users purge-orphans --older-than 30d`, in every tenant where the caller manages
   * users, one transaction per tenant, in batches until nothing old enough is left; with dryRun,
   * counts and lists what would go and deletes nothing.
   */
  async purge(actor: Actor, input: { olderThan: string; dryRun?: boolean }): Promise<PurgeResult> {
    const age = parseDuration(input.olderThan, 'olderThan');
    const dryRun = input.dryRun === true;
    const { store } = this.#context;
    await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
    const cutoff = new Date(this.#context.clock.now().getTime() - age).toISOString();
    const managed = await this.#callerTenants(actor, store);
    const result: PurgeResult = { dryRun, count: 0, tenants: [], skipped: [], items: [], itemsTruncated: false };
    const list = (items: OrphanItem[]) => {
      const room = ITEMS_LISTED - result.items.length;
      result.items.push(...items.slice(0, Math.max(room, 0)));
      if (items.length > room) result.itemsTruncated = true;
    };
    for (const { tenantId, count } of await store.resources.countOrphans({ tenantIds: [...managed.keys()], orphanedBefore: cutoff })) {
      const tenant = await this.#slugOf(tenantId, store);
      if (!managed.get(tenantId)) {
        result.skipped.push({ tenantId, tenant, count, reason: 'PERMISSION_MISSING' });
        continue;
      }
      if (dryRun) {
        const items = result.items.length < ITEMS_LISTED ? await store.resources.listOrphans(tenantId, cutoff, ITEMS_LISTED - result.items.length) : [];
        list(items.map((orphan) => itemOf(orphan, tenant)));
        if (count > items.length) result.itemsTruncated = true;
        result.tenants.push({ tenantId, tenant, count });
        result.count += count;
        continue;
      }
      const purged = await this.#purgeTenant(actor, tenantId, tenant, cutoff, input.olderThan);
      if (purged.length === 0) continue;
      list(purged);
      result.tenants.push({ tenantId, tenant, count: purged.length });
      result.count += purged.length;
    }
    if (!dryRun && !result.tenants.some((entry) => entry.tenantId === actor.tenantId)) {
      await recordAudit(this.#context, store, actor, { category: 'resources', action: 'orphans.purged', detail: { olderThan: input.olderThan, cutoff, count: 0, purged: [] } });
    }
    return result;
  }

  /** Deletes the tenant's orphans older than the cutoff, batch after batch, and audits them in the tenant, all in one transaction. */
  async #purgeTenant(actor: Actor, tenantId: string, tenant: string, cutoff: string, olderThan: string): Promise<OrphanItem[]> {
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageUsers', tenantId, store);
      const purged: OrphanItem[] = [];
      for (;;) {
        const batch = await store.resources.listOrphans(tenantId, cutoff, PURGE_BATCH);
        if (batch.length === 0) break;
        await store.resources.deleteMany(tenantId, batch.map((orphan) => orphan.id));
        purged.push(...batch.map((orphan) => itemOf(orphan, tenant)));
        if (batch.length < PURGE_BATCH) break;
      }
      if (purged.length > 0) {
        await recordAudit(this.#context, store, actor, {
          tenantId,
          category: 'resources',
          action: 'orphans.purged',
          detail: { olderThan, cutoff, count: purged.length, purged: purged.map(({ id, kind, name, previousOwnerId, orphanedAt }) => ({ id, kind, name, previousOwnerId, orphanedAt })) },
        });
      }
      return purged;
    });
  }

  async #auditReassigned(actor: Actor, store: Store, tenantId: string, input: { from: string; to: string }, reassigned: number): Promise<void> {
    await recordAudit(this.#context, store, actor, {
      tenantId,
      category: 'resources',
      action: 'orphans.reassigned',
      subjectType: 'user',
      subjectId: input.to,
      diff: { before: { ownerId: null, previousOwnerId: input.from }, after: { ownerId: input.to } },
      detail: { reassigned },
    });
  }

  /** The tenants the caller belongs to, each with whether they hold ManageUsers there. */
  async #callerTenants(actor: Actor, store: Store): Promise<Map<string, boolean>> {
    const memberships = await store.assignments.listForUser(actor.userId);
    const held = await Promise.all(memberships.map((membership) => this.#access.holds(actor, 'ManageUsers', membership.tenantId, store)));
    return new Map(memberships.map((membership, index) => [membership.tenantId, held[index]!]));
  }

  async #slugOf(tenantId: string, store: Store): Promise<string> {
    return (await store.tenants.getById(tenantId))?.slug ?? tenantId;
  }
}

function itemOf(orphan: OwnedResource, tenant: string): OrphanItem {
  const { id, tenantId, kind, name, previousOwnerId, orphanedAt } = orphan;
  return { id, tenantId, tenant, kind, name, previousOwnerId, orphanedAt };
}

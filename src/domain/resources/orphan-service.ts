import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { invalid, notFound } from '../errors.ts';
import type { Actor, DomainContext } from '../context.ts';
import { parseDuration } from '../tokens/duration.ts';
import type { OwnedResource } from './resource.ts';

/** What purge-orphans deletes in one call, so one request stays bounded. */
const PURGE_BATCH = 1000;

/**
 * Orphans are the agents, workflows, memory and documents of deleted users. Admins of a
 * tenant reassign them to a colleague or purge old ones; both act in the tenant of the
 * request only, and both are audited.
 */
export class OrphanService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  /** `sophon admin users reassign --from <old-id> --to <new-id>` */
  async reassign(actor: Actor, input: { from: string; to: string }): Promise<{ reassigned: number }> {
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
      const recipient = await store.users.getInTenant(actor.tenantId, input.to);
      if (!recipient) throw notFound('USER_NOT_FOUND', `No user "${input.to}" exists in this tenant to receive the orphans.`);
      if (recipient.id === input.from) throw invalid('REASSIGN_TO_SAME_USER', 'The new owner must be someone other than the former owner.');
      const reassigned = await store.resources.reassignOrphans(actor.tenantId, input.from, recipient.id, this.#context.clock.now().toISOString());
      await recordAudit(this.#context, store, actor, {
        category: 'resources',
        action: 'orphans.reassigned',
        subjectType: 'user',
        subjectId: recipient.id,
        diff: { before: { ownerId: null, previousOwnerId: input.from }, after: { ownerId: recipient.id } },
        detail: { reassigned },
      });
      return { reassigned };
    });
  }

  /** `sophon admin users purge-orphans --older-than 30d`; with dryRun, shows what would go and deletes nothing. */
  async purge(actor: Actor, input: { olderThan: string; dryRun?: boolean }): Promise<{ dryRun: boolean; count: number; items: Pick<OwnedResource, 'id' | 'kind' | 'name' | 'previousOwnerId' | 'orphanedAt'>[] }> {
    const age = parseDuration(input.olderThan, 'olderThan');
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageUsers', actor.tenantId, store);
      const cutoff = new Date(this.#context.clock.now().getTime() - age).toISOString();
      const orphans = await store.resources.listOrphans(actor.tenantId, cutoff, PURGE_BATCH);
      const items = orphans.map(({ id, kind, name, previousOwnerId, orphanedAt }) => ({ id, kind, name, previousOwnerId, orphanedAt }));
      if (input.dryRun) return { dryRun: true, count: items.length, items };
      const count = await store.resources.deleteMany(actor.tenantId, items.map((item) => item.id));
      await recordAudit(this.#context, store, actor, {
        category: 'resources',
        action: 'orphans.purged',
        detail: { olderThan: input.olderThan, cutoff, count, purged: items },
      });
      return { dryRun: false, count, items };
    });
  }
}

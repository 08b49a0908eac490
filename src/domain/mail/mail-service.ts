import type { AccessService } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import { describeMessage } from './outbox.ts';

/** Lets admins see whether invitation and reset mails of their tenant went out. */
export class MailService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  async listOutbox(actor: Actor, query: { cursor?: string; limit?: number }) {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const rows = await this.#context.store.mail.listForTenant(actor.tenantId, { before: query.cursor, limit: limit + 1 });
    const items = rows.slice(0, limit).map(describeMessage);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }
}

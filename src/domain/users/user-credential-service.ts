import type { AccessGuards } from '../access/guards.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { passwordResetMessage } from '../mail/messages.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import type { LinkDelivery } from './one-time-link.ts';

/**
 * An admin's hand on another user's credentials: the password reset link (the self-service
 * request is ForgotPasswordService's, a fresh hand-over link AccountService's).
 */
export class UserCredentialService {
  readonly #context: DomainContext;
  readonly #guards: AccessGuards;
  readonly #links: OneTimeLinkService;

  constructor(context: DomainContext, guards: AccessGuards, links: OneTimeLinkService) {
    this.#context = context;
    this.#guards = guards;
    this.#links = links;
  }

  /**
   * Starts a password reset: a one-time link, mailed through the outbox when SMTP is
   * configured, else returned to the admin once. Redeeming it ends every session. API tokens
   * keep working unless `revokeTokens`: then they are revoked now, and the link revokes those
   * created meanwhile when it is redeemed (docs/security.md).
   */
  async resetPassword(actor: Actor, userId: string, options: { revokeTokens?: boolean } = {}): Promise<LinkDelivery & { revokedTokens?: number }> {
    const linkOptions = { revokeTokens: options.revokeTokens === true };
    return this.#context.store.transaction(async (store) => {
      const user = await this.#guards.mayManageAccount(store, actor, userId);
      // Mailed: queued in the outbox, the link getting its token only as it is sent. Else shown to the admin once.
      let answer: LinkDelivery;
      if (this.#context.settings.mailEnabled) {
        const link = await this.#links.issueForMail(store, user.id, 'password_reset', actor.userId, linkOptions);
        const mail = passwordResetMessage({ tenantId: user.homeTenantId, userId: user.id, recipient: user.email, now: this.#context.clock.now(), displayName: user.displayName, link });
        await store.mail.enqueue(mail);
        answer = { delivery: 'queued', messageId: mail.id, expiresAt: link.expiresAt };
      } else {
        const link = await this.#links.issue(store, user.id, 'password_reset', actor.userId, linkOptions);
        answer = { delivery: 'manual', link: link.url, expiresAt: link.expiresAt };
      }
      const revokedTokens = linkOptions.revokeTokens ? await store.tokens.revokeAllForUser(user.id, this.#context.clock.now().toISOString()) : 0;
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'password_reset.requested',
        subjectType: 'user',
        subjectId: user.id,
        detail: { delivery: answer.delivery, expiresAt: answer.expiresAt, revokeTokens: linkOptions.revokeTokens, revokedTokens },
      });
      return linkOptions.revokeTokens ? { ...answer, revokedTokens } : answer;
    });
  }
}

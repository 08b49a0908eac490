import { recordAudit } from '../audit/audit-log.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import type { DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { OneTimeLinkPurpose } from './one-time-link.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';
import type { MailedLink } from '../mail/messages.ts';
import { LINK_TOKEN_SLOT } from '../mail/outbox.ts';
import { fail } from '../error-catalogue.ts';

const linkInvalid = () =>
  fail('LINK_INVALID');

/** The path of the dashboard page that redeems a link; the token rides in the fragment, which browsers don't send to servers. */
export const REDEEM_PATH = '/set-password#token=';

/**
 * A fresh token for a mailed link, made as its mail is sent: the link's stored hash becomes
 * this token's, so only the mail being sent can open it (an earlier attempt's token stops
 * working). Undefined when the link was used, replaced or expired before the mail went out.
 */
export async function tokenForDelivery(store: Store, linkId: string, now: Date): Promise<string | undefined> {
  const token = newSecret();
  return (await store.links.rekey(linkId, hashSecret(token), now.toISOString())) ? token : undefined;
}

export interface LinkOptions {
  /** A password reset only: redeeming the link also revokes the user's API tokens. */
  revokeTokens?: boolean;
}

/** Issues and redeems one-time links (invitations, password resets). */
export class OneTimeLinkService {
  readonly #context: DomainContext;
  #throttle: LoginThrottle | undefined;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  /** Guessing link tokens is throttled per source address like password guesses (set once services are wired). */
  useThrottle(throttle: LoginThrottle): void {
    this.#throttle = throttle;
  }

  /**
   * Creates a link inside the caller's transaction; returns the URL to hand out (once).
   * `revokeTokens`: redeeming it also revokes the user's API tokens (an admin's reset choice).
   */
  async issue(store: Store, userId: string, purpose: OneTimeLinkPurpose, createdBy: string | null, options: LinkOptions = {}): Promise<{ url: string; token: string; expiresAt: string }> {
    const token = newSecret();
    const { expiresAt } = await this.#create(store, userId, purpose, createdBy, hashSecret(token), options);
    return { url: this.#urlWith(token), token, expiresAt };
  }

  /**
   * Creates a link to be mailed through the outbox, inside the caller's transaction. It has no
   * token yet (its stored hash is of a secret nobody keeps): the outbox worker gives it one at
   * send time (`tokenForDelivery`), so a queued message's row holds nothing that opens it.
   */
  async issueForMail(store: Store, userId: string, purpose: OneTimeLinkPurpose, createdBy: string | null, options: LinkOptions = {}): Promise<MailedLink> {
    const { linkId, expiresAt } = await this.#create(store, userId, purpose, createdBy, hashSecret(newSecret()), options);
    return { linkId, url: this.#urlWith(LINK_TOKEN_SLOT), expiresAt };
  }

  async #create(store: Store, userId: string, purpose: OneTimeLinkPurpose, createdBy: string | null, tokenHash: string, options: LinkOptions): Promise<{ linkId: string; expiresAt: string }> {
    const now = this.#context.clock.now();
    const lifetime = purpose === 'invitation' ? this.#context.settings.invitationLifetime : this.#context.settings.passwordResetLifetime;
    const retired = await store.links.retireUnused(userId, purpose, now.toISOString());
    const linkId = newId();
    const expiresAt = new Date(now.getTime() + lifetime).toISOString();
    // A newer link replaces an unused one, but never drops its revocation of API tokens (an admin's
    // choice on a compromised account must survive a reset mail anyone can ask for).
    const revokeTokens = purpose === 'password_reset' && (options.revokeTokens === true || retired.revokedTokens);
    await store.links.create({ id: linkId, userId, purpose, tokenHash, createdAt: now.toISOString(), expiresAt, usedAt: null, createdBy, ...(revokeTokens ? { revokeTokens } : {}) });
    return { linkId, expiresAt };
  }

  #urlWith(token: string): string {
    return `${this.#context.settings.publicUrl.replace(/\/$/, '')}${REDEEM_PATH}${token}`;
  }

  /**
   * Sets a new password from a link. Single use even under concurrent redemption on many
   * nodes (a conditional update decides), ends every session of the user, and signs no one
   * in: the user then logs in normally, second factor included. API tokens keep working,
   * unless the admin who reset the password chose to revoke them: then those still in force
   * (created since the reset, too) are revoked with it.
   */
  async redeem(token: string, newPassword: string, origin: { ip: string | null; userAgent: string | null }): Promise<{ email: string }> {
    const { store, clock, settings } = this.#context;
    const attempt = this.#throttle ? await this.#throttle.beginFromAddress(origin) : undefined;
    if (attempt && !attempt.allowed) throw linkInvalid();
    const link = await store.links.getByHash(hashSecret(token));
    const now = clock.now();
    if (!link || link.usedAt || now.getTime() >= Date.parse(link.expiresAt)) {
      if (attempt) await this.#throttle!.failed(attempt);
      throw linkInvalid();
    }
    // The token was right: it isn't a guess, whatever the password policy says next.
    if (attempt) await this.#throttle!.succeeded(attempt, false);
    const user = await store.users.getById(link.userId);
    if (!user || user.status !== 'active') throw linkInvalid();
    checkPasswordPolicy(newPassword, settings.passwordMinLength, { email: user.email });
    const passwordHash = await hashPassword(newPassword);
    return store.transaction(async (tx) => {
      if (!(await tx.links.consume(link.id, now.toISOString()))) throw linkInvalid();
      await tx.users.update(user.id, { passwordHash, mustChangePassword: false, passwordExpiresAt: null, updatedAt: now.toISOString() });
      const endedSessions = await tx.sessions.endAllForUser(user.id, now.toISOString(), `${link.purpose} link redeemed`);
      const revokedTokens = link.revokeTokens ? await tx.tokens.revokeAllForUser(user.id, now.toISOString()) : 0;
      // A new password set through a link ends any brute-force lock on the account, the hard one included.
      if (this.#throttle) await tx.loginThrottle.delete(this.#throttle.accountKey(user.email));
      await recordAudit(this.#context, tx, { userId: user.id, email: user.email, tenantId: user.homeTenantId, ...origin }, {
        category: 'auth',
        action: link.purpose === 'invitation' ? 'invitation.redeemed' : 'password_reset.redeemed',
        subjectType: 'user',
        subjectId: user.id,
        detail: { linkId: link.id, endedSessions, revokeTokens: link.revokeTokens === true, revokedTokens },
      });
      return { email: user.email };
    });
  }
}

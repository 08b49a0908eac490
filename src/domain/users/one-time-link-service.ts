import { recordAudit } from '../audit/audit-log.ts';
import { invalid } from '../errors.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import type { DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { OneTimeLinkPurpose } from './one-time-link.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';

const linkInvalid = () =>
  invalid('LINK_INVALID', 'This link is invalid, expired or already used; ask your administrator for a new one.');

/** The path of the dashboard page that redeems a link; the token rides in the fragment, which browsers don't send to servers. */
export const REDEEM_PATH = '/set-password#token=';

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

  /** Creates a link inside the caller's transaction; returns the URL to hand out (once). */
  async issue(store: Store, userId: string, purpose: OneTimeLinkPurpose, createdBy: string | null): Promise<{ url: string; token: string; expiresAt: string }> {
    const now = this.#context.clock.now();
    const lifetime = purpose === 'invitation' ? this.#context.settings.invitationLifetime : this.#context.settings.passwordResetLifetime;
    await store.links.retireUnused(userId, purpose, now.toISOString());
    const token = newSecret();
    const expiresAt = new Date(now.getTime() + lifetime).toISOString();
    await store.links.create({ id: newId(), userId, purpose, tokenHash: hashSecret(token), createdAt: now.toISOString(), expiresAt, usedAt: null, createdBy });
    return { url: `${this.#context.settings.publicUrl.replace(/\/$/, '')}${REDEEM_PATH}${token}`, token, expiresAt };
  }

  /**
   * Sets a new password from a link. Single use even under concurrent redemption on many
   * nodes (a conditional update decides), ends every session of the user, and signs no one
   * in: the user then logs in normally, second factor included.
   */
  async redeem(token: string, newPassword: string, origin: { ip: string | null; userAgent: string | null }): Promise<{ email: string }> {
    const { store, clock, settings } = this.#context;
    const attempt = this.#throttle ? await this.#throttle.beginFromAddress(origin) : undefined;
    if (attempt && !attempt.allowed) throw linkInvalid();
    const link = await store.links.getByHash(hashSecret(token));
    const now = clock.now();
    if (!link || link.usedAt || now.getTime() >= Date.parse(link.expiresAt)) throw linkInvalid();
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
      // A new password set through a link ends any brute-force lock on the account, the hard one included.
      if (this.#throttle) await tx.loginThrottle.delete(this.#throttle.accountKey(user.email));
      await recordAudit(this.#context, tx, { userId: user.id, email: user.email, tenantId: user.homeTenantId, ...origin }, {
        category: 'auth',
        action: link.purpose === 'invitation' ? 'invitation.redeemed' : 'password_reset.redeemed',
        subjectType: 'user',
        subjectId: user.id,
        detail: { linkId: link.id, endedSessions },
      });
      return { email: user.email };
    });
  }
}

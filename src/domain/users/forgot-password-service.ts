import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { DomainContext } from '../context.ts';
import { fail } from '../error-catalogue.ts';
import { hashSecret, newSecret } from '../ids.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import { requestedPasswordResetMessage, singleSignOnNoticeMessage } from '../mail/messages.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import { hasUsablePassword } from './passwords.ts';
import { normalizeEmail, type StoredUser } from './user.ts';

/** The one answer to every accepted request, whoever the email belongs to (if anyone). */
export const FORGOT_PASSWORD_ANSWER = {
  status: 'accepted',
  message: 'If this email belongs to an account that may reset its password, a mail with what to do next is on its way. It can take a few minutes; check your spam folder too.',
} as const;

export type ForgotPasswordAnswer = typeof FORGOT_PASSWORD_ANSWER;

/** What a request led to, for the audit trail only: never in the answer. */
type Outcome = 'link mailed' | 'single sign-on notice mailed' | 'unknown email' | 'account suspended';

/**
 * Self-service password reset (POST /auth/forgot-password): the admin reset's one-time link,
 * mailed through the outbox to the user who asked for it.
 *
 * No existence oracle: every request that gets past the throttle answers the same body and
 * does the same work before it — one user lookup, the same throttle counting, one SHA-256 of a
 * fresh secret (the link's, or a decoy's), one transaction with one audit event (plus the link
 * and outbox rows when there is a mail) — and the mail itself is sent later by
 * the outbox worker, so no SMTP exchange shows in the answer's timing. The throttle counts
 * the email's hash and the address whatever the email is, so it refuses known and unknown
 * emails alike.
 */
export class ForgotPasswordService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #links: OneTimeLinkService;
  readonly #throttle: LoginThrottle;

  constructor(context: DomainContext, access: AccessService, links: OneTimeLinkService, throttle: LoginThrottle) {
    this.#context = context;
    this.#access = access;
    this.#links = links;
    this.#throttle = throttle;
  }

  async request(email: string, origin: { ip: string | null; userAgent: string | null }): Promise<ForgotPasswordAnswer> {
    const { store, settings, clock } = this.#context;
    // Nothing could reach the user: say so (it reveals nothing about the email), so they ask an admin.
    if (!settings.mailEnabled) throw fail('PASSWORD_RESET_BY_MAIL_OFF');
    const user = await store.users.getByEmail(normalizeEmail(email));
    const decision = await this.#throttle.countResetRequest(email, origin);
    if (!decision.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      // Only the first refusal of a throttle window is audited (it says until when the rest aren't):
      // one per wait, however many a stranger sends, not one each.
      const notAuditedUntil = new Date(clock.now().getTime() + retryAfterSeconds * 1000).toISOString();
      await store.transaction(async (tx) => {
        if (await this.#throttle.firstRefusalIn(tx, decision.window)) await this.#audit(tx, user, email, origin, 'failure', { reason: 'throttled', notAuditedUntil });
      });
      throw fail('PASSWORD_RESET_RATE_LIMITED', { retryAfterSeconds }, { retryAfterSeconds });
    }
    const outcome: Outcome = !user ? 'unknown email' : user.status !== 'active' ? 'account suspended' : this.#hasNoPassword(user) ? 'single sign-on notice mailed' : 'link mailed';
    // The same hashing on every path: a link's token hash, else a decoy's.
    if (outcome !== 'link mailed') hashSecret(newSecret());
    await store.transaction(async (tx) => {
      if (outcome === 'link mailed') {
        const now = clock.now();
        const link = await this.#links.issueForMail(tx, user!.id, 'password_reset', null);
        const mail = requestedPasswordResetMessage({ tenantId: user!.homeTenantId, userId: user!.id, recipient: user!.email, now, displayName: user!.displayName, link });
        await tx.mail.enqueue(mail);
        await this.#audit(tx, user, email, origin, 'success', { result: outcome, messageId: mail.id, expiresAt: link.expiresAt });
      } else if (outcome === 'single sign-on notice mailed') {
        const mail = singleSignOnNoticeMessage({ tenantId: user!.homeTenantId, userId: user!.id, recipient: user!.email, now: clock.now(), displayName: user!.displayName, publicUrl: settings.publicUrl });
        await tx.mail.enqueue(mail);
        await this.#audit(tx, user, email, origin, 'success', { result: outcome, messageId: mail.id });
      } else {
        await this.#audit(tx, user, email, origin, 'failure', { reason: outcome });
      }
    });
    return FORGOT_PASSWORD_ANSWER;
  }

  /**
   * An account that signs in only through single sign-on: no password, and none to come (an
   * invited user who never chose one has none yet either, but must change it: they get the link).
   */
  #hasNoPassword(user: StoredUser): boolean {
    return !hasUsablePassword(user.passwordHash) && !user.mustChangePassword;
  }

  /**
   * As failed sign-ins are audited (AuthService): a known account's event is its own, in its
   * home tenant; an unknown email's goes to the default tenant with the email as typed (at
   * most 254 characters) in its detail, as login.failed keeps it.
   */
  async #audit(
    store: DomainContext['store'],
    user: StoredUser | undefined,
    email: string,
    origin: { ip: string | null; userAgent: string | null },
    outcome: 'success' | 'failure',
    detail: Record<string, unknown>,
  ): Promise<void> {
    const home = user ? user.homeTenantId : await this.#access.defaultTenantId(store);
    await recordAudit(
      this.#context,
      store,
      user ? { userId: user.id, email: user.email, tenantId: home, ip: origin.ip, userAgent: origin.userAgent } : null,
      { tenantId: home, category: 'auth', action: 'password_reset.self_requested', outcome, subjectType: 'user', subjectId: user?.id ?? null, detail: user ? detail : { email: email.slice(0, 254), ...detail } },
      origin,
    );
  }
}

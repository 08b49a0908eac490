import type { Clock } from '../clock.ts';
import type { Store } from '../store.ts';
import { tokenForDelivery } from '../users/one-time-link-service.ts';
import { LINK_TOKEN_SLOT, REDACTED_BODY } from './outbox.ts';

export interface MailSender {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

export interface OutboxWorkerOptions {
  maxAttempts?: number;
  /** The first retry waits this long; each further one twice as long, up to maxBackoff. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claimed message is ours before another node may retry it (a crashed node's claim expires). */
  claimMs?: number;
}

/** Delivers due outbox messages. Safe to run on every node: a message is claimed before it is sent. */
export class OutboxWorker {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #sender: MailSender;
  readonly #options: Required<OutboxWorkerOptions>;

  constructor(store: Store, clock: Clock, sender: MailSender, options: OutboxWorkerOptions = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#sender = sender;
    this.#options = { maxAttempts: 10, initialBackoffMs: 5_000, maxBackoffMs: 15 * 60_000, claimMs: 60_000, ...options };
  }

  /** One pass over due messages; returns how many were sent. */
  async runOnce(): Promise<{ sent: number; failed: number }> {
    const now = this.#clock.now();
    const due = await this.#store.mail.listDue(now.toISOString(), 20);
    let sent = 0;
    let failed = 0;
    for (const message of due) {
      const claimed = await this.#store.mail.claim(message.id, now.toISOString(), new Date(now.getTime() + this.#options.claimMs).toISOString());
      if (!claimed) continue;
      let text = message.bodyText;
      if (message.linkId) {
        // The link gets its token only now: the stored row never held one that works.
        const token = await tokenForDelivery(this.#store, message.linkId, this.#clock.now());
        if (!token) {
          await this.#store.mail.cancel(message.id, 'Not sent: its one-time link was used, replaced or expired before it could go out.');
          continue;
        }
        text = text.replaceAll(LINK_TOKEN_SLOT, token);
      }
      try {
        await this.#sender.send({ to: message.recipient, subject: message.subject, text });
        await this.#store.mail.markSent(message.id, this.#clock.now().toISOString());
        sent++;
      } catch (error) {
        failed++;
        const attempts = message.attempts + 1;
        const giveUp = attempts >= this.#options.maxAttempts;
        const backoff = Math.min(this.#options.initialBackoffMs * 2 ** (attempts - 1), this.#options.maxBackoffMs);
        await this.#store.mail.markAttemptFailed(message.id, {
          attempts,
          nextAttemptAt: new Date(this.#clock.now().getTime() + backoff).toISOString(),
          status: giveUp ? 'failed' : 'pending',
          lastError: (error as Error).message?.slice(0, 500) ?? String(error),
          redact: giveUp,
        });
      }
    }
    return { sent, failed };
  }
}

export { REDACTED_BODY };

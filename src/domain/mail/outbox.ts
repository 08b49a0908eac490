/**
 * The transactional outbox: a message is written in the same transaction as the change
 * that caused it (a new user, a reset), then delivered by a worker with retries, so a down
 * SMTP server neither fails the change nor loses the mail.
 */
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

/**
 * `single_sign_on_notice`: the answer to a reset asked for an account without a password (it signs in through single sign-on).
 * `access_request`: an eligible approver is told of a pending access request.
 */
export type OutboxKind = 'invitation' | 'password_reset' | 'account_created' | 'single_sign_on_notice' | 'access_request';

export interface OutboxMessage {
  id: string;
  tenantId: string;
  userId: string | null;
  kind: OutboxKind;
  recipient: string;
  subject: string;
  /**
   * The text to send. A one-time link in it is stored as LINK_TOKEN_SLOT, never as a token:
   * the token is made when the message is sent (see `linkId`). Redacted once sent or given up on.
   */
  bodyText: string;
  /** The one-time link whose token the worker puts into LINK_TOKEN_SLOT at send time; null for a mail without one. */
  linkId: string | null;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lockedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** Never shown through the API: the body is the mail's text. */
export function describeMessage(message: OutboxMessage) {
  const { bodyText: _hidden, lockedUntil: _lock, linkId: _link, ...rest } = message;
  return rest;
}

/**
 * Where a mail stands, in the words the API answers with: `queued` until the outbox has
 * actually handed it to the SMTP server (retrying, with the last error, while it fails),
 * then `sent`; `failed` once the outbox gave up, `cancelled` when it was withdrawn unsent
 * (its link was replaced, used or expired first).
 */
export type MailDelivery = 'queued' | 'sent' | 'failed' | 'cancelled';

const deliveryOfStatus: Record<OutboxStatus, MailDelivery> = { pending: 'queued', sent: 'sent', failed: 'failed', cancelled: 'cancelled' };

export function mailDeliveryOf(message: OutboxMessage) {
  const delivery = deliveryOfStatus[message.status];
  return {
    messageId: message.id,
    kind: message.kind,
    recipient: message.recipient,
    delivery,
    attempts: message.attempts,
    lastError: message.lastError,
    /** While queued: when the next attempt is due. */
    nextAttemptAt: delivery === 'queued' ? message.nextAttemptAt : null,
    createdAt: message.createdAt,
    sentAt: message.sentAt,
  };
}

export type MailDeliveryView = ReturnType<typeof mailDeliveryOf>;

export const REDACTED_BODY = '[redacted after delivery]';

/** Stands, in a stored body, for the token of the message's one-time link; the worker fills it in at send time. */
export const LINK_TOKEN_SLOT = '{{one-time-link-token}}';

/**
 * The transactional outbox: a message is written in the same transaction as the change
 * that caused it (a new user, a reset), then delivered by a worker with retries, so a down
 * SMTP server neither fails the change nor loses the mail.
 */
export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxMessage {
  id: string;
  tenantId: string;
  userId: string | null;
  kind: 'invitation' | 'password_reset';
  recipient: string;
  subject: string;
  /** Holds a one-time link until delivered; redacted once sent or given up on. */
  bodyText: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lockedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxStore {
  enqueue(message: OutboxMessage): Promise<void>;
  /** Messages due at `now` and not locked by another worker (or node). */
  listDue(now: string, limit: number): Promise<OutboxMessage[]>;
  /** Takes a message for delivery; false if another worker took it first. */
  claim(messageId: string, now: string, lockedUntil: string): Promise<boolean>;
  markSent(messageId: string, at: string): Promise<void>;
  markAttemptFailed(messageId: string, update: { attempts: number; nextAttemptAt: string; status: OutboxStatus; lastError: string; redact: boolean }): Promise<void>;
  listForTenant(tenantId: string, query: { before?: string; limit: number }): Promise<OutboxMessage[]>;
}

/** Never shown through the API: the body may carry a one-time link. */
export function describeMessage(message: OutboxMessage) {
  const { bodyText: _hidden, lockedUntil: _lock, ...rest } = message;
  return rest;
}

export const REDACTED_BODY = '[redacted after delivery]';

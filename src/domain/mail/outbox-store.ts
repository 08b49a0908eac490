import type { OutboxKind, OutboxMessage, OutboxStatus } from './outbox.ts';

export interface OutboxStore {
  enqueue(message: OutboxMessage): Promise<void>;
  /** Messages due at `now` and not locked by another worker (or node). */
  listDue(now: string, limit: number): Promise<OutboxMessage[]>;
  /** Takes a message for delivery; false if another worker took it first. */
  claim(messageId: string, now: string, lockedUntil: string): Promise<boolean>;
  markSent(messageId: string, at: string): Promise<void>;
  /** Records a failed attempt of a message still pending (one cancelled meanwhile stays cancelled). */
  markAttemptFailed(messageId: string, update: { attempts: number; nextAttemptAt: string; status: OutboxStatus; lastError: string; redact: boolean }): Promise<void>;
  /** Gives up on a message without sending it (its body is redacted); `reason` is shown as its last error. */
  cancel(messageId: string, reason: string): Promise<void>;
  /** Cancels the user's pending messages of these kinds in the tenant; returns their ids. */
  cancelPendingForUser(tenantId: string, userId: string, kinds: readonly OutboxKind[], reason: string): Promise<string[]>;
  listForTenant(tenantId: string, query: { before?: string; limit: number }): Promise<OutboxMessage[]>;
  /** The newest message to the user in the tenant, if any. */
  latestForUser(tenantId: string, userId: string): Promise<OutboxMessage | undefined>;
}

import type { Kysely } from 'kysely';
import { REDACTED_BODY, type OutboxMessage, type OutboxStatus } from '../../domain/mail/outbox.ts';
import type { OutboxStore } from '../../domain/mail/outbox-store.ts';
import type { Database } from '../schema.ts';

const toMessage = (row: Database['mail_outbox']): OutboxMessage => ({
  id: row.id,
  tenantId: row.tenant_id,
  userId: row.user_id,
  kind: row.kind as OutboxMessage['kind'],
  recipient: row.recipient,
  subject: row.subject,
  bodyText: row.body_text,
  linkId: row.link_id,
  status: row.status as OutboxStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: row.next_attempt_at,
  lockedUntil: row.locked_until,
  lastError: row.last_error,
  createdAt: row.created_at,
  sentAt: row.sent_at,
});

export function sqlMailStore(db: Kysely<Database>): OutboxStore {
  return {
    async enqueue(message) {
      await db
        .insertInto('mail_outbox')
        .values({
          id: message.id,
          tenant_id: message.tenantId,
          user_id: message.userId,
          kind: message.kind,
          recipient: message.recipient,
          subject: message.subject,
          body_text: message.bodyText,
          link_id: message.linkId,
          status: message.status,
          attempts: message.attempts,
          next_attempt_at: message.nextAttemptAt,
          locked_until: null,
          last_error: null,
          created_at: message.createdAt,
          sent_at: null,
        })
        .execute();
    },
    async listDue(now, limit) {
      const rows = await db
        .selectFrom('mail_outbox')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
      return rows.map(toMessage);
    },
    async claim(messageId, now, lockedUntil) {
      // A conditional update is the claim: of two nodes, only one sees a row change.
      const result = await db
        .updateTable('mail_outbox')
        .set({ locked_until: lockedUntil })
        .where('id', '=', messageId)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async markSent(messageId, at) {
      await db
        .updateTable('mail_outbox')
        .set((eb) => ({ status: 'sent', sent_at: at, locked_until: null, body_text: REDACTED_BODY, attempts: eb('attempts', '+', 1), last_error: null }))
        .where('id', '=', messageId)
        .execute();
    },
    async markAttemptFailed(messageId, update) {
      await db
        .updateTable('mail_outbox')
        .set({
          attempts: update.attempts,
          next_attempt_at: update.nextAttemptAt,
          status: update.status,
          last_error: update.lastError,
          locked_until: null,
          ...(update.redact ? { body_text: REDACTED_BODY } : {}),
        })
        .where('id', '=', messageId)
        .where('status', '=', 'pending')
        .execute();
    },
    async cancel(messageId, reason) {
      await db
        .updateTable('mail_outbox')
        .set({ status: 'cancelled', last_error: reason, locked_until: null, body_text: REDACTED_BODY })
        .where('id', '=', messageId)
        .where('status', '=', 'pending')
        .execute();
    },
    async cancelPendingForUser(tenantId, userId, kinds, reason) {
      if (kinds.length === 0) return [];
      const rows = await db
        .updateTable('mail_outbox')
        .set({ status: 'cancelled', last_error: reason, locked_until: null, body_text: REDACTED_BODY })
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .where('kind', 'in', [...kinds])
        .where('status', '=', 'pending')
        .returning('id')
        .execute();
      return rows.map((row) => row.id);
    },
    async listForTenant(tenantId, query) {
      let select = db.selectFrom('mail_outbox').selectAll().where('tenant_id', '=', tenantId);
      if (query.before) select = select.where('id', '<', query.before);
      return (await select.orderBy('id', 'desc').limit(query.limit).execute()).map(toMessage);
    },
    async latestForUser(tenantId, userId) {
      const row = await db.selectFrom('mail_outbox').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row && toMessage(row);
    },
  };
}

import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';

/** The slot a stored body keeps for its link's token (LINK_TOKEN_SLOT in src/domain/mail/outbox.ts), copied so this migration never changes. */
const SLOT = '{{one-time-link-token}}';
const TOKEN_IN_BODY = /set-password#token=([A-Za-z0-9_-]+)/;
const REDACTED_BODY = '[redacted after delivery]';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Mail delivery that can be told and a queued mail that opens nothing:
 *
 * - `mail_outbox.link_id`: the one-time link a mail carries. Its token no longer sits in the
 *   stored body; the body keeps a slot, and the worker gives the link a fresh token as it
 *   sends (null for a mail without a link, such as the account-created notice).
 * - Messages still pending from before hold a working link in plaintext: each one's link is
 *   re-keyed to a secret nobody keeps and its body gets the slot instead of the token, so it
 *   is sent as any new one; one whose link was used or replaced already is cancelled.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mail_outbox').addColumn('link_id', 'text').execute();

  const pending: { id: string; body_text: string }[] = await db.selectFrom('mail_outbox').select(['id', 'body_text']).where('status', '=', 'pending').execute();
  const now = new Date().toISOString();
  for (const message of pending) {
    const token = TOKEN_IN_BODY.exec(message.body_text)?.[1];
    if (!token) continue;
    const link: { id: string } | undefined = await db
      .selectFrom('one_time_links')
      .select('id')
      .where('token_hash', '=', sha256(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!link) {
      await db
        .updateTable('mail_outbox')
        .set({ status: 'cancelled', body_text: REDACTED_BODY, last_error: 'Not sent: its one-time link was used, replaced or expired before it could go out.', locked_until: null })
        .where('id', '=', message.id)
        .execute();
      continue;
    }
    await db.updateTable('one_time_links').set({ token_hash: sha256(randomBytes(32).toString('base64url')) }).where('id', '=', link.id).execute();
    await db
      .updateTable('mail_outbox')
      .set({ body_text: message.body_text.split(token).join(SLOT), link_id: link.id })
      .where('id', '=', message.id)
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // Pending mails keep their slot: going back means they can't be sent as they are.
  await db
    .updateTable('mail_outbox')
    .set({ status: 'failed', body_text: REDACTED_BODY, last_error: 'Withdrawn by a schema downgrade.' })
    .where('status', '=', 'pending')
    .where('link_id', 'is not', null)
    .execute();
  await db.updateTable('mail_outbox').set({ status: 'failed' }).where('status', '=', 'cancelled').execute();
  await db.schema.alterTable('mail_outbox').dropColumn('link_id').execute();
}

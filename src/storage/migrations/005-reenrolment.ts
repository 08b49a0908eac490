import type { Kysely } from 'kysely';

/**
 * Two obligations that outlive the request that created them:
 *
 * - `users.two_factor_reenrolment_required_at`: an admin reset the user's 2FA (lost device);
 *   until they enrol again they are held exactly as Require 2FA holds a user without 2FA
 *   (null: no obligation). Cleared when an enrolment is confirmed.
 * - `one_time_links.revoke_tokens`: the admin who issued a password-reset link chose to revoke
 *   the user's API tokens; redeeming the link revokes those created since (0/1; null for links
 *   issued before this migration, which revoke nothing).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('two_factor_reenrolment_required_at', 'text').execute();
  await db.schema.alterTable('one_time_links').addColumn('revoke_tokens', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('one_time_links').dropColumn('revoke_tokens').execute();
  await db.schema.alterTable('users').dropColumn('two_factor_reenrolment_required_at').execute();
}

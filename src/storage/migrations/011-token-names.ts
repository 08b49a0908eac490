import { sql, type Kysely } from 'kysely';

const TOKEN_NAME_MAX = 100;

/**
 * One name per user among the API tokens not revoked (issue 12): a unique partial index on
 * `api_tokens (user_id, lower(name)) where revoked_at is null` (both engines have partial
 * indexes), so two concurrent creates can't both pass. Revoked tokens keep their names and
 * don't count; an expired token not revoked does. A database from before may hold active
 * tokens of one user with the same name: the oldest keeps it, each later one gets " (2)",
 * " (3)"… (the first suffix no active token of that user has), so the index can be built.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const duplicated = await sql<{ user_id: string }>`
    select user_id from api_tokens where revoked_at is null
    group by user_id, lower(name) having count(*) > 1`.execute(db);
  const users = [...new Set(duplicated.rows.map((row) => row.user_id))];
  for (const userId of users) {
    const tokens = await db
      .selectFrom('api_tokens')
      .select(['id', 'name', sql<string>`lower(name)`.as('folded')])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    // Names as the index compares them, folded by the engine's own lower().
    const taken = new Set(tokens.map((token) => token.folded));
    const kept = new Set<string>();
    for (const token of tokens) {
      if (!kept.has(token.folded)) {
        kept.add(token.folded);
        continue;
      }
      const { name, folded } = freeName(token.name, token.folded, taken);
      taken.add(folded);
      kept.add(folded);
      await db.updateTable('api_tokens').set({ name }).where('id', '=', token.id).execute();
    }
  }
  await sql`create unique index api_tokens_user_active_name on api_tokens (user_id, lower(name)) where revoked_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_tokens_user_active_name').execute();
}

/** The name with the first suffix " (n)" that no active token of the user has; cut to fit 100 characters. */
function freeName(name: string, folded: string, taken: Set<string>): { name: string; folded: string } {
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const room = TOKEN_NAME_MAX - suffix.length;
    const candidate = { name: name.slice(0, room) + suffix, folded: folded.slice(0, room) + suffix };
    if (!taken.has(candidate.folded)) return candidate;
  }
}

import type { Kysely } from 'kysely';

/**
 * Import jobs on several nodes (issue 10): the node running a job holds a lease on it
 * (`runner_id`, the node's id for this process, until `lease_expires_at`), renewed before each
 * batch and given up when the node stops. Another node takes the job only when it is free or its
 * lease has run out (its node died): a job is run by one node at a time, and taken up by another
 * when its node is gone. `import_jobs` holds a row per import, so the columns go in place.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('import_jobs').addColumn('runner_id', 'text').execute();
  await db.schema.alterTable('import_jobs').addColumn('lease_expires_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('import_jobs').dropColumn('lease_expires_at').execute();
  await db.schema.alterTable('import_jobs').dropColumn('runner_id').execute();
}

import type { Kysely } from 'kysely';

/**
 * Access reviews as records (issue 9): `access_reviews` holds who reviewed which tenant when
 * and with which stale period; `access_review_decisions` one finding of that review each, as
 * reported then (kind, subject, sentence), with the reviewer's decision (keep, suspend,
 * revoke_token, remove_role) and its outcome (kept, applied, refused with the error's code and
 * message, or pending while the decisions are being applied). The reviewer is kept by id and
 * email, without a foreign key: the record outlives the reviewer's account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('access_reviews')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('reviewer_id', 'text', (column) => column.notNull())
    .addColumn('reviewer_email', 'text', (column) => column.notNull())
    .addColumn('stale', 'text', (column) => column.notNull())
    .addColumn('stale_before', 'text', (column) => column.notNull())
    .addColumn('note', 'text')
    .addColumn('truncated', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('access_reviews_tenant_id').on('access_reviews').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('access_review_decisions')
    .addColumn('review_id', 'text', (column) => column.notNull().references('access_reviews.id').onDelete('cascade'))
    .addColumn('position', 'integer', (column) => column.notNull())
    .addColumn('finding_kind', 'text', (column) => column.notNull())
    .addColumn('subject_type', 'text', (column) => column.notNull())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('subject_email', 'text')
    .addColumn('subject_name', 'text', (column) => column.notNull())
    .addColumn('detail', 'text', (column) => column.notNull())
    .addColumn('decision', 'text', (column) => column.notNull())
    .addColumn('outcome', 'text', (column) => column.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addPrimaryKeyConstraint('access_review_decisions_pk', ['review_id', 'position'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('access_review_decisions').execute();
  await db.schema.dropTable('access_reviews').execute();
}

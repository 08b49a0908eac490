import type { Kysely } from 'kysely';

/**
 * CSV imports as jobs (issue 10): `import_jobs` holds one import's state and counts,
 * `import_job_rows` one row of its file each, with the row's outcome written in the same
 * transaction as the user it creates, so a job resumed after a crash never creates a row twice.
 *
 * - A row's password and the one-time password shown for it are sealed (AES-256-GCM, the
 *   server's key; `sealed_key` says which) and cleared once used or shown.
 * - `(job_id, email_normalized, line)` finds an email repeated earlier in the same file.
 * - `(status, updated_at)` finds the jobs to resume at start.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('actor_id', 'text', (column) => column.notNull())
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('phase', 'text', (column) => column.notNull())
    .addColumn('dry_run', 'integer', (column) => column.notNull())
    .addColumn('all_or_nothing', 'integer', (column) => column.notNull())
    .addColumn('total', 'integer', (column) => column.notNull())
    .addColumn('done', 'integer', (column) => column.notNull())
    .addColumn('created', 'integer', (column) => column.notNull())
    .addColumn('valid', 'integer', (column) => column.notNull())
    .addColumn('failed', 'integer', (column) => column.notNull())
    .addColumn('passwords_hashed', 'integer', (column) => column.notNull())
    .addColumn('resumed', 'integer', (column) => column.notNull())
    .addColumn('sealed_key', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('import_jobs_tenant_created').on('import_jobs').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('import_jobs_status').on('import_jobs').columns(['status', 'updated_at']).execute();

  await db.schema
    .createTable('import_job_rows')
    .addColumn('job_id', 'text', (column) => column.notNull().references('import_jobs.id').onDelete('cascade'))
    .addColumn('line', 'integer', (column) => column.notNull())
    .addColumn('email', 'text', (column) => column.notNull())
    .addColumn('email_normalized', 'text', (column) => column.notNull())
    .addColumn('display_name', 'text', (column) => column.notNull())
    .addColumn('role', 'text')
    .addColumn('tenant', 'text')
    .addColumn('password_sealed', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('user_id', 'text')
    .addColumn('result', 'text')
    .addColumn('credential_sealed', 'text')
    .addPrimaryKeyConstraint('import_job_rows_pk', ['job_id', 'line'])
    .execute();
  await db.schema.createIndex('import_job_rows_email').on('import_job_rows').columns(['job_id', 'email_normalized', 'line']).execute();
  await db.schema.createIndex('import_job_rows_status').on('import_job_rows').columns(['job_id', 'status', 'line']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_job_rows').execute();
  await db.schema.dropTable('import_jobs').execute();
}

import { sql, type Kysely } from 'kysely';
import type { Actor } from '../../domain/context.ts';
import type { ImportJob, ImportJobPhase, ImportJobRow, ImportJobRowStatus, ImportJobStatus, ImportRowOutcome } from '../../domain/users/import-job.ts';
import type { ImportJobStore } from '../../domain/users/import-job-store.ts';
import type { Engine } from '../open-database.ts';
import type { Database } from '../schema.ts';
import { fromJson, toJson } from './sql-helpers.ts';
import { toEventRow } from './audit-store.ts';
import { toAssignmentRow } from './role-store.ts';
import { toUserRow } from './user-store.ts';

const toJob = (row: Database['import_jobs']): ImportJob => ({
  id: row.id,
  tenantId: row.tenant_id,
  actor: JSON.parse(row.actor) as Actor,
  status: row.status as ImportJobStatus,
  phase: row.phase as ImportJobPhase,
  dryRun: row.dry_run === 1,
  allOrNothing: row.all_or_nothing === 1,
  counts: { total: row.total, done: row.done, created: row.created, valid: row.valid, failed: row.failed },
  passwordsHashed: row.passwords_hashed,
  resumed: row.resumed,
  sealedKey: row.sealed_key,
  error: fromJson(row.error),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
  lease: row.runner_id && row.lease_expires_at ? { runnerId: row.runner_id, expiresAt: row.lease_expires_at } : null,
});

const toRow = (row: Database['import_job_rows']): ImportJobRow => ({
  jobId: row.job_id,
  line: row.line,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  tenant: row.tenant,
  passwordSealed: row.password_sealed,
  status: row.status as ImportJobRowStatus,
  error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  userId: row.user_id,
  outcome: fromJson<ImportRowOutcome>(row.result),
  oneTimePasswordSealed: row.credential_sealed,
});

// SQLite: many rows per INSERT, within its limit on bound parameters (up to 15 per row).
const INSERT_CHUNK = 100;
// Emails or lines per lookup: one statement for a whole batch on either engine.
const LOOKUP_CHUNK = 1000;

type RowsOf<Table extends keyof Database> = Partial<Database[Table]>[];

/**
 * Inserts many rows of one shape (every row with the same columns). PostgreSQL gets the rows as
 * one JSON parameter (`json_populate_recordset` over the table's own row type): one short
 * statement whatever the row count, parsed and planned in a fraction of a millisecond, where
 * a multi-row VALUES of 100 rows binds up to 1,500 parameters and is parsed each time. SQLite
 * binds nothing over its socket-less API, so it keeps the multi-row VALUES.
 */
async function insertMany<Table extends 'users' | 'audit_events' | 'role_assignments' | 'import_job_rows'>(db: Kysely<Database>, engine: Engine, table: Table, rows: RowsOf<Table>): Promise<void> {
  if (rows.length === 0) return;
  if (engine === 'postgres') {
    const columns = sql.join(Object.keys(rows[0]!).map((column) => sql.ref(column)));
    await sql`insert into ${sql.table(table)} (${columns}) select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)})`.execute(db);
    return;
  }
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + INSERT_CHUNK) as never)
      .execute();
  }
}

export function sqlImportJobStore(db: Kysely<Database>, engine: Engine): ImportJobStore {
  return {
    batchRows: engine === 'postgres' ? 1000 : 200,
    async create(job) {
      await db
        .insertInto('import_jobs')
        .values({
          id: job.id,
          tenant_id: job.tenantId,
          actor_id: job.actor.userId,
          actor: JSON.stringify(job.actor),
          status: job.status,
          phase: job.phase,
          dry_run: job.dryRun ? 1 : 0,
          all_or_nothing: job.allOrNothing ? 1 : 0,
          total: job.counts.total,
          done: job.counts.done,
          created: job.counts.created,
          valid: job.counts.valid,
          failed: job.counts.failed,
          passwords_hashed: job.passwordsHashed,
          resumed: job.resumed,
          sealed_key: job.sealedKey,
          error: toJson(job.error),
          created_at: job.createdAt,
          updated_at: job.updatedAt,
          finished_at: job.finishedAt,
          runner_id: null,
          lease_expires_at: null,
        })
        .execute();
    },
    async get(tenantId, jobId) {
      const row = await db.selectFrom('import_jobs').selectAll().where('id', '=', jobId).where('tenant_id', '=', tenantId).executeTakeFirst();
      return row && toJob(row);
    },
    async takeLease(jobId, runnerId, now, until) {
      const result = await db
        .updateTable('import_jobs')
        .set({ runner_id: runnerId, lease_expires_at: until })
        .where('id', '=', jobId)
        .where('status', 'in', ['queued', 'running'])
        .where((eb) => eb.or([eb('runner_id', 'is', null), eb('runner_id', '=', runnerId), eb('lease_expires_at', '<=', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async releaseLease(jobId, runnerId) {
      await db.updateTable('import_jobs').set({ runner_id: null, lease_expires_at: null }).where('id', '=', jobId).where('runner_id', '=', runnerId).execute();
    },
    async listUnfinished() {
      const rows = await db.selectFrom('import_jobs').selectAll().where('status', 'in', ['queued', 'running']).orderBy('created_at').orderBy('id').execute();
      return rows.map(toJob);
    },
    async update(jobId, changes, onlyIf) {
      const set: Partial<Database['import_jobs']> = {};
      if (changes.status !== undefined) set.status = changes.status;
      if (changes.phase !== undefined) set.phase = changes.phase;
      if (changes.total !== undefined) set.total = changes.total;
      if (changes.resumed !== undefined) set.resumed = changes.resumed;
      if (changes.error !== undefined) set.error = toJson(changes.error);
      if (changes.updatedAt !== undefined) set.updated_at = changes.updatedAt;
      if (changes.finishedAt !== undefined) set.finished_at = changes.finishedAt;
      let query = db.updateTable('import_jobs').set(set).where('id', '=', jobId);
      if (onlyIf !== undefined) query = query.where('status', '=', onlyIf);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async addToCounts(jobId, delta, updatedAt) {
      await db
        .updateTable('import_jobs')
        .set((eb) => ({
          done: eb('done', '+', delta.done),
          created: eb('created', '+', delta.created),
          valid: eb('valid', '+', delta.valid),
          failed: eb('failed', '+', delta.failed),
          passwords_hashed: eb('passwords_hashed', '+', delta.passwordsHashed),
          updated_at: updatedAt,
        }))
        .where('id', '=', jobId)
        .execute();
    },
    async deleteRowsOfJobsFinishedBefore(before) {
      const result = await db
        .deleteFrom('import_job_rows')
        .where('job_id', 'in', db.selectFrom('import_jobs').select('id').where('finished_at', '<', before))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async delete(jobId) {
      await db.deleteFrom('import_job_rows').where('job_id', '=', jobId).execute();
      await db.deleteFrom('import_jobs').where('id', '=', jobId).execute();
    },
    async addRows(jobId, rows) {
      await insertMany(
        db,
        engine,
        'import_job_rows',
        rows.map((row) => ({
          job_id: jobId,
          line: row.line,
          email: row.email,
          email_normalized: row.emailNormalized,
          display_name: row.displayName,
          role: row.role,
          tenant: row.tenant,
          password_sealed: row.passwordSealed,
          status: 'pending',
        })),
      );
    },
    async listRows(jobId, { status, afterLine, limit }) {
      let query = db.selectFrom('import_job_rows').selectAll().where('job_id', '=', jobId);
      if (status !== undefined) query = query.where('status', '=', status);
      if (afterLine !== undefined) query = query.where('line', '>', afterLine);
      return (await query.orderBy('line').limit(limit).execute()).map(toRow);
    },
    async firstLinesOfEmails(jobId, emailsNormalized) {
      const first = new Map<string, number>();
      const distinct = [...new Set(emailsNormalized)];
      for (let start = 0; start < distinct.length; start += LOOKUP_CHUNK) {
        const rows = await db
          .selectFrom('import_job_rows')
          .select(['email_normalized', (eb) => eb.fn.min<number>('line').as('line')])
          .where('job_id', '=', jobId)
          .where('email_normalized', 'in', distinct.slice(start, start + LOOKUP_CHUNK))
          .groupBy('email_normalized')
          .execute();
        for (const row of rows) first.set(row.email_normalized, Number(row.line));
      }
      return first;
    },
    async claimRows(jobId, lines, from) {
      if (lines.length === 0) return [];
      // Taken by deleting them: the row lock a concurrent run waits on, without writing a new
      // version of each row (and of its three index entries) that settleRows would replace at once.
      const claimed = await db.deleteFrom('import_job_rows').where('job_id', '=', jobId).where('line', 'in', lines).where('status', '=', from).returning('line').execute();
      return claimed.map((row) => row.line).sort((a, b) => a - b);
    },
    async settleRows(jobId, rows) {
      // The claimed rows were taken out by claimRows, in this transaction: written back settled.
      await insertMany(
        db,
        engine,
        'import_job_rows',
        rows.map((settled) => ({
          job_id: jobId,
          line: settled.line,
          email: settled.row.email,
          email_normalized: settled.row.email.trim().toLowerCase(),
          display_name: settled.row.displayName,
          role: settled.row.role,
          tenant: settled.row.tenant,
          // A settled row needs its password no more, unless all-or-nothing creates it on a second pass.
          password_sealed: settled.status === 'valid' ? settled.row.passwordSealed : null,
          status: settled.status,
          error_code: settled.error?.code ?? null,
          error_message: settled.error?.message ?? null,
          user_id: settled.userId ?? null,
          result: toJson(settled.outcome ?? null),
          credential_sealed: settled.oneTimePasswordSealed ?? null,
        })),
      );
    },
    async takenEmails(emailsNormalized) {
      const taken = new Set<string>();
      const distinct = [...new Set(emailsNormalized)];
      for (let start = 0; start < distinct.length; start += LOOKUP_CHUNK) {
        const chunk = distinct.slice(start, start + LOOKUP_CHUNK);
        // Through the unique index of emails (migration 016 dropped the trigram index on them, which
        // PostgreSQL used to plan this lookup on: 170 ms for 200 emails at 20k users).
        const rows = await db.selectFrom('users').select('email_normalized').where('email_normalized', 'in', chunk).execute();
        for (const row of rows) taken.add(row.email_normalized);
      }
      return taken;
    },
    async appendAuditEvents(events) {
      // The columns of sqlAuditStore.append, many rows a statement.
      await insertMany(db, engine, 'audit_events', events.map(toEventRow));
    },
    async refreshStatistics() {
      if (engine !== 'postgres') return;
      await sql`analyze import_job_rows, users`.execute(db);
    },
    async insertUsers(users) {
      // sqlUserStore.create's rows, many a statement.
      await insertMany(db, engine, 'users', users.map(toUserRow));
    },
    async addAssignments(assignments) {
      await insertMany(db, engine, 'role_assignments', assignments.map(toAssignmentRow));
    },
    async moveRows(jobId, from, to) {
      const result = await db.updateTable('import_job_rows').set({ status: to }).where('job_id', '=', jobId).where('status', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async clearPasswords(jobId) {
      await db.updateTable('import_job_rows').set({ password_sealed: null }).where('job_id', '=', jobId).where('password_sealed', 'is not', null).execute();
    },
    async clearOneTimePasswords(jobId, lines) {
      if (lines.length === 0) return;
      await db.updateTable('import_job_rows').set({ credential_sealed: null }).where('job_id', '=', jobId).where('line', 'in', lines).execute();
    },
    async countRows(jobId) {
      const rows = await db
        .selectFrom('import_job_rows')
        .select(['status', sql<number>`count(*)`.as('count')])
        .where('job_id', '=', jobId)
        .groupBy('status')
        .execute();
      const counts: Record<ImportJobRowStatus, number> = { pending: 0, claimed: 0, valid: 0, created: 0, rejected: 0 };
      for (const row of rows) counts[row.status as ImportJobRowStatus] = Number(row.count);
      return counts;
    },
  };
}

import type { ImportJob, ImportJobCounts, ImportJobRow, ImportJobRowStatus, ImportJobStatus, NewImportJobRow, SettledImportJobRow } from './import-job.ts';
import type { AuditEvent } from '../audit/audit-event.ts';
import type { RoleAssignment } from '../roles/role-store.ts';
import type { StoredUser } from './user.ts';

export interface ImportJobStore {
  /**
   * Rows a job takes per batch (one transaction each) on this engine. SQLite: 200, a batch
   * holding the one connection (and Node's thread) for a few tens of milliseconds. PostgreSQL:
   * 1,000, where a batch's fixed cost (a dozen round trips, its commit) is spread over more rows
   * and other requests go on over the pool's other connections meanwhile.
   */
  readonly batchRows: number;
  create(job: ImportJob): Promise<void>;
  /** The job, if it belongs to the tenant. */
  get(tenantId: string, jobId: string): Promise<ImportJob | undefined>;
  /**
   * Takes the job's lease for `runnerId` until `until`, or renews it: only while the job is queued
   * or running and its lease is free, already this runner's, or ran out before `now`. False when
   * another runner holds it (or the job is over).
   */
  takeLease(jobId: string, runnerId: string, now: string, until: string): Promise<boolean>;
  /** Gives up the runner's lease (it stops): another node may take the job at once. */
  releaseLease(jobId: string, runnerId: string): Promise<void>;
  /** Jobs the server stopped in the middle of (or never began): queued or running, oldest first. */
  listUnfinished(): Promise<ImportJob[]>;
  /** Changes the job; with `onlyIf`, only while it is in that status (false when it wasn't). */
  update(jobId: string, changes: Partial<Pick<ImportJob, 'status' | 'phase' | 'resumed' | 'error' | 'updatedAt' | 'finishedAt'>> & { total?: number }, onlyIf?: ImportJobStatus): Promise<boolean>;
  /** Adds a batch's outcomes to the job's counts (increments, so runs on several nodes add up). */
  addToCounts(jobId: string, delta: Omit<ImportJobCounts, 'total'> & { passwordsHashed: number }, updatedAt: string): Promise<void>;
  /** Forgets the rows of jobs that finished before `before` (the jobs and their counts stay); returns how many rows went. */
  deleteRowsOfJobsFinishedBefore(before: string): Promise<number>;
  /** Deletes a job and its rows (a file refused as a whole while it was read). */
  delete(jobId: string): Promise<void>;
  addRows(jobId: string, rows: NewImportJobRow[]): Promise<void>;
  /** The next rows of a status, in line order. */
  listRows(jobId: string, options: { status?: ImportJobRowStatus; afterLine?: number; limit: number }): Promise<ImportJobRow[]>;
  /** For each of these emails, the first line of the file that has it (an email repeated in the file is the later rows' problem). */
  firstLinesOfEmails(jobId: string, emailsNormalized: string[]): Promise<Map<string, number>>;
  /**
   * Takes rows for this run, inside its transaction: those of `lines` still in `from` are taken
   * out of the job and their lines returned; a row another run took meanwhile is not (that run
   * holds it until it commits, then it is no longer `from`). The transaction must settle every
   * row it took (settleRows): rolled back, they are `from` again, as if never taken.
   */
  claimRows(jobId: string, lines: number[], from: 'pending'): Promise<number[]>;
  /** Writes back the rows claimed in this transaction, with their outcomes (in a few statements, whatever their number). */
  settleRows(jobId: string, rows: (SettledImportJobRow & { row: ImportJobRow })[]): Promise<void>;
  /** Of these normalized emails, those a user already has. */
  takenEmails(emailsNormalized: string[]): Promise<Set<string>>;
  /** A batch's audit events and role assignments of new users, written together (multi-row inserts). */
  appendAuditEvents(events: AuditEvent[]): Promise<void>;
  addAssignments(assignments: RoleAssignment[]): Promise<void>;
  /**
   * Brings the planner's statistics of the tables a job reads up to date (PostgreSQL: ANALYZE;
   * SQLite needs nothing). A job grows them faster than autovacuum looks: planned on a table
   * believed empty, a batch's lookups of 200 emails turn into scans of the whole table.
   */
  refreshStatistics(): Promise<void>;
  /** New users of a batch, many rows a statement (the columns of UserStore.create). */
  insertUsers(users: StoredUser[]): Promise<void>;
  /** Moves every row of one status to another (all-or-nothing: valid rows back to pending for the create pass). */
  moveRows(jobId: string, from: ImportJobRowStatus, to: ImportJobRowStatus): Promise<number>;
  /** Forgets every sealed password the job's rows still hold (a dry run is over). */
  clearPasswords(jobId: string): Promise<void>;
  /** Forgets the sealed one-time passwords of these lines (they have been shown). */
  clearOneTimePasswords(jobId: string, lines: number[]): Promise<void>;
  /** Counts of the job's rows by status, read from the rows themselves. */
  countRows(jobId: string): Promise<Record<ImportJobRowStatus, number>>;
}

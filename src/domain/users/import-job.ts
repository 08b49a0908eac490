import type { AuditEvent } from '../audit/audit-event.ts';
import type { Actor } from '../context.ts';
import type { RoleAssignment } from '../roles/role-store.ts';
import type { StoredUser } from './user.ts';

/**
 * A CSV import run as a job (POST /users/imports): the file's rows are stored as they arrive,
 * then created in batches, each batch one transaction that writes its users, their audit
 * events and each row's outcome together. A job left `running` by a crash is resumed at start.
 */
/** `receiving`: the file is still arriving (a job left so by a crash failed: its file never arrived whole). */
export type ImportJobStatus = 'receiving' | 'queued' | 'running' | 'done' | 'failed';

/** `validate` checks rows without writing (a dry run, or all-or-nothing's first pass); `create` writes them. */
export type ImportJobPhase = 'validate' | 'create';

/** `claimed` lives only inside a batch's transaction: the rows this run took, which no other run (another node) can take too. */
export type ImportJobRowStatus = 'pending' | 'claimed' | 'valid' | 'created' | 'rejected';

export interface ImportJob {
  id: string;
  tenantId: string;
  actor: Actor;
  status: ImportJobStatus;
  phase: ImportJobPhase;
  dryRun: boolean;
  allOrNothing: boolean;
  counts: ImportJobCounts;
  /** Rows whose password was hashed (on the worker pool). */
  passwordsHashed: number;
  /** How many times the job was taken up again after the server stopped in its middle. */
  resumed: number;
  /** The id of the key its sealed passwords and one-time passwords are sealed with. */
  sealedKey: string | null;
  /** Why a job failed as a whole (its actor lost the permission, the server's key changed…). */
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface ImportJobCounts {
  /** Rows in the file. */
  total: number;
  /** Rows with an outcome (valid, created or rejected). */
  done: number;
  created: number;
  valid: number;
  /** Rows rejected with their reason. */
  failed: number;
}

/** What a created row reports: the user as created, and how their first credential reaches them. */
export interface ImportRowOutcome {
  user?: { id: string; email: string; displayName: string; role: string | null; homeTenant: string; status: string };
  passwordExpiresAt?: string;
  invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
  notice?: { delivery: 'queued'; messageId: string };
  /** A one-time password was made and is (or was) shown once; see ImportJobRow.oneTimePasswordSealed. */
  oneTimePassword?: 'sealed' | 'shown' | 'lost';
}

export interface ImportJobRow {
  jobId: string;
  line: number;
  email: string;
  displayName: string;
  role: string | null;
  tenant: string | null;
  /** The password the file gave, sealed; cleared when the row is settled. */
  passwordSealed: string | null;
  status: ImportJobRowStatus;
  error: { code: string; message: string } | null;
  userId: string | null;
  outcome: ImportRowOutcome | null;
  /** The generated one-time password, sealed, until the admin has been shown it once. */
  oneTimePasswordSealed: string | null;
}

/** A row as it arrives from the file, before it is stored. */
export interface NewImportJobRow {
  line: number;
  email: string;
  emailNormalized: string;
  displayName: string;
  role: string | null;
  tenant: string | null;
  passwordSealed: string | null;
}

export interface SettledImportJobRow {
  line: number;
  status: 'valid' | 'created' | 'rejected';
  error?: { code: string; message: string } | null;
  userId?: string | null;
  outcome?: ImportRowOutcome | null;
  oneTimePasswordSealed?: string | null;
}

export interface ImportJobStore {
  create(job: ImportJob): Promise<void>;
  /** The job, if it belongs to the tenant. */
  get(tenantId: string, jobId: string): Promise<ImportJob | undefined>;
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
   * Takes rows for this run, inside its transaction: those of `lines` still in `from` become
   * `claimed` and their lines are returned; a row another run took meanwhile is not.
   */
  claimRows(jobId: string, lines: number[], from: 'pending'): Promise<number[]>;
  /** Writes the outcomes of claimed rows (in a few statements, whatever their number). */
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

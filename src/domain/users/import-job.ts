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
  /** The node running it and until when its lease holds (null: no node holds it). */
  lease?: { runnerId: string; expiresAt: string } | null;
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

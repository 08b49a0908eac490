import { randomBytes } from 'node:crypto';
import type { AccessService } from '../access/access-service.ts';
import type { AuditEvent } from '../audit/audit-event.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { decodeCsvStream } from '../csv.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Role } from '../roles/role.ts';
import type { RoleAssignment } from '../roles/role-store.ts';
import type { Store } from '../store.ts';
import type { Clock } from '../clock.ts';
import { masterKeyOf, seal, SealedSecretError, unseal, type MasterKey } from '../two-factor/secret-box.ts';
import type { ImportJob, ImportJobCounts, ImportJobRow, ImportRowOutcome, NewImportJobRow, SettledImportJobRow } from './import-job.ts';
import type { PasswordHashPool } from './password-hash-pool.ts';
import { generatePassword, hashOneTimePassword, NO_PASSWORD_HASH } from './passwords.ts';
import { readImportCsv } from './user-csv.ts';
import { normalizeEmail, type StoredUser } from './user.ts';
import type { HashedUser, PreparedUser } from './user-creation.ts';
import type { UserService } from './user-service.ts';
import { fail, messageOf } from '../error-catalogue.ts';

/** Rows stored per statement group while the file arrives. */
const RECEIVE_CHUNK_ROWS = 1000;
const MAX_PAGE_ROWS = 1000;
/** Rows a batch is checked or given credentials for between two turns of the event loop. */
const YIELD_EVERY_ROWS = 100;
/** How long a finished job keeps its rows (emails, outcomes, unshown one-time passwords); its counts stay. */
export const IMPORT_ROWS_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Runs of one batch before the job fails (a batch's transaction rolled back by a race or a lost connection). */
const MAX_BATCH_ATTEMPTS = 3;
/**
 * How long a node's hold on a running job lasts without renewal (it renews before each batch):
 * when a node dies mid-job, another takes the job up this long after its last renewal.
 */
export const IMPORT_LEASE_MS = 30_000;

export interface ImportJobOptions {
  /** Check every row and report, without creating anyone. */
  dryRun?: boolean;
  /** Create nobody unless every row is valid: every row is checked first, then created. */
  allOrNothing?: boolean;
  /** The file's encoding: UTF-8 unless it says otherwise (windows-1252, as Excel's plain "CSV" is). */
  encoding?: string;
}

export interface ImportJobRowView {
  line: number;
  email: string;
  status: ImportJobRow['status'];
  error?: { code: string; message: string };
  user?: ImportRowOutcome['user'];
  passwordExpiresAt?: string;
  /** Shown once, to the admin who started the job, when nobody else can deliver it (no SMTP, no password in the file). */
  oneTimePassword?: string;
  /** The one-time password was shown already, or lost with the server's key: `sophon admin users one-time-link` gives a fresh credential. */
  oneTimePasswordUnavailable?: 'shown' | 'lost';
  invitation?: ImportRowOutcome['invitation'];
  notice?: ImportRowOutcome['notice'];
}

export interface ImportJobView {
  id: string;
  status: ImportJob['status'];
  phase: ImportJob['phase'];
  dryRun: boolean;
  allOrNothing: boolean;
  /** Whether users were written. */
  applied: boolean;
  counts: ImportJobCounts & { pending: number };
  passwordsHashed: number;
  resumed: number;
  error: ImportJob['error'];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** A page of the rows, in line order, when asked for. */
  rows?: ImportJobRowView[];
  /** The line to pass as `afterLine` for the next page; null on the last. */
  nextAfterLine?: number | null;
}

const jobNotFound = (id: string) => fail('IMPORT_JOB_NOT_FOUND', { id: id.slice(0, 40) });

/**
 * CSV import of any size as a job (`POST /users/imports`, `sophon admin users import`).
 *
 * The file is read as it arrives (never held whole) and each row stored in `import_job_rows`,
 * its password sealed with the server's key. The job then runs in the background: batches of
 * `ImportJobStore.batchRows` rows, passwords hashed on worker threads across every core, each batch one
 * transaction that claims its rows, creates their users exactly as `POST /users` would (same
 * checks through AccessGuards, same audit events) and writes each row's outcome. A crash loses
 * at most the batch in flight, whose transaction never committed: at start the server takes up
 * every unfinished job where it stopped, and no row is created twice. Password-less rows cost
 * no argon2 hash: an invitation link (SMTP) or a one-time password stored as SHA-256.
 */
export class ImportJobService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #users: UserService;
  readonly #pool: PasswordHashPool;
  readonly #queue: { jobId: string; tenantId: string }[] = [];
  #key: MasterKey | undefined;
  #running: Promise<void> | undefined;
  #resuming: Promise<void> | undefined;
  #stopping = false;
  #paused = false;
  /** Tests stop a job after this many batches, as a crash would. */
  #batchesLeft: number | undefined;
  /** This process's name on the leases of the jobs it runs (another node, or this one restarted, has another). */
  readonly #runnerId = newId();
  /** Jobs whose lease this process holds: given up when it stops. */
  readonly #held = new Set<string>();
  #watch: ReturnType<typeof setInterval> | undefined;

  constructor(context: DomainContext, access: AccessService, users: UserService, pool: PasswordHashPool) {
    this.#context = context;
    this.#access = access;
    this.#users = users;
    this.#pool = pool;
  }

  get pool(): PasswordHashPool {
    return this.#pool;
  }

  /** Reads the file into a new job and queues it; answers once the file is in (202), before any row is created. */
  async start(actor: Actor, file: AsyncIterable<Uint8Array>, options: ImportJobOptions = {}): Promise<ImportJobView> {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId);
    const { store, clock } = this.#context;
    const key = this.#sealingKey();
    const now = clock.now().toISOString();
    const dryRun = options.dryRun ?? false;
    const allOrNothing = options.allOrNothing ?? false;
    const job: ImportJob = {
      id: newId(),
      tenantId: actor.tenantId,
      actor,
      status: 'receiving',
      phase: dryRun || allOrNothing ? 'validate' : 'create',
      dryRun,
      allOrNothing,
      counts: { total: 0, done: 0, created: 0, valid: 0, failed: 0 },
      passwordsHashed: 0,
      resumed: 0,
      sealedKey: key.id,
      error: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await store.importJobs.create(job);
    let total = 0;
    // One chunk is stored while the next is read (the file keeps arriving meanwhile).
    let storing: Promise<void> | undefined;
    try {
      let chunk: NewImportJobRow[] = [];
      for await (const { line, input } of readImportCsv(decodeCsvStream(file, options.encoding))) {
        chunk.push({
          line,
          email: input.email,
          emailNormalized: normalizeEmail(input.email),
          displayName: input.displayName,
          role: input.role ?? null,
          tenant: input.tenant ?? null,
          passwordSealed: input.password === undefined ? null : seal(key, Buffer.from(input.password, 'utf8'), `${job.id}:${line}:password`, 'import-secret'),
        });
        // The hashing threads start loading while the rest of the file comes in.
        if (input.password !== undefined && !dryRun) this.#pool.start();
        if (chunk.length >= RECEIVE_CHUNK_ROWS) {
          await storing;
          storing = store.importJobs.addRows(job.id, chunk);
          // Its failure is met at the next await of it, not left unhandled while the file is read.
          storing.catch(() => undefined);
          total += chunk.length;
          chunk = [];
        }
      }
      await storing;
      await store.importJobs.addRows(job.id, chunk);
      total += chunk.length;
    } catch (error) {
      await storing?.catch(() => undefined);
      // A file refused as a whole (not CSV, not UTF-8, unknown columns) leaves no job behind.
      await store.importJobs.delete(job.id);
      throw error;
    }
    await store.importJobs.update(job.id, { status: 'queued', total, updatedAt: clock.now().toISOString() });
    this.#enqueue(job.id, job.tenantId);
    return this.#view({ ...job, status: 'queued', counts: { ...job.counts, total } }, { pending: total });
  }

  /**
   * A job of the tenant the request acts in, with its counts and, when asked, a page of rows.
   * The one-time passwords in that page are shown this once, to the admin who started the job.
   */
  async get(actor: Actor, jobId: string, page: { afterLine?: number; limit?: number } | undefined): Promise<ImportJobView> {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId);
    const { store } = this.#context;
    const job = await store.importJobs.get(actor.tenantId, jobId);
    if (!job) throw jobNotFound(jobId);
    // Rows not settled yet, from the job's own counts: a poll reads one row, however big the file.
    const view = this.#view(job, { pending: Math.max(0, job.counts.total - job.counts.done) });
    if (!page) return view;
    const limit = Math.min(Math.max(page.limit ?? 100, 1), MAX_PAGE_ROWS);
    const rows = await store.importJobs.listRows(job.id, { afterLine: page.afterLine, limit: limit + 1 });
    const shown = rows.slice(0, limit);
    const key = this.#sealingKey();
    const mine = actor.userId === job.actor.userId;
    const revealed: number[] = [];
    view.rows = shown.map((row) => {
      const item: ImportJobRowView = { line: row.line, email: row.email, status: row.status === 'claimed' ? 'pending' : row.status };
      if (row.error) item.error = row.error;
      const outcome = row.outcome;
      if (outcome?.user) item.user = outcome.user;
      if (outcome?.passwordExpiresAt) item.passwordExpiresAt = outcome.passwordExpiresAt;
      if (outcome?.invitation) item.invitation = outcome.invitation;
      if (outcome?.notice) item.notice = outcome.notice;
      if (outcome?.oneTimePassword) {
        if (!row.oneTimePasswordSealed) item.oneTimePasswordUnavailable = 'shown';
        else if (job.sealedKey !== key.id) item.oneTimePasswordUnavailable = 'lost';
        else if (mine) {
          try {
            item.oneTimePassword = unseal(key, row.oneTimePasswordSealed, `${job.id}:${row.line}:one-time`, 'import-secret').toString('utf8');
            revealed.push(row.line);
          } catch (error) {
            if (!(error instanceof SealedSecretError)) throw error;
            item.oneTimePasswordUnavailable = 'lost';
          }
        }
      }
      return item;
    });
    // Shown once: the sealed copy is forgotten as it is handed out.
    await store.importJobs.clearOneTimePasswords(job.id, revealed);
    view.nextAfterLine = rows.length > limit ? (shown.at(-1)?.line ?? null) : null;
    return view;
  }

  /**
   * At start: takes up every job a stopped server left unfinished (unless a live node holds it),
   * and fails those whose file never arrived whole; then, as long as this server runs, takes up
   * the jobs whose node died (their lease ran out) every half lease.
   */
  resumeUnfinished(): Promise<void> {
    this.#resuming = this.#resume();
    if (!this.#watch) {
      this.#watch = setInterval(() => void this.adoptAbandoned().catch(() => undefined), IMPORT_LEASE_MS / 2);
      this.#watch.unref();
    }
    return this.#resuming;
  }

  /** Queues the unfinished jobs no live node holds: never leased, given up, or whose lease ran out. */
  async adoptAbandoned(): Promise<void> {
    if (this.#stopping) return;
    const now = this.#context.clock.now().toISOString();
    for (const job of await this.#context.store.importJobs.listUnfinished()) {
      if (job.status === 'receiving') continue;
      if (!job.lease || job.lease.runnerId === this.#runnerId || job.lease.expiresAt <= now) this.#enqueue(job.id, job.tenantId);
    }
  }

  async #resume(): Promise<void> {
    const { store, clock } = this.#context;
    await store.importJobs.deleteRowsOfJobsFinishedBefore(new Date(clock.now().getTime() - IMPORT_ROWS_RETENTION_MS).toISOString());
    for (const job of await store.importJobs.listUnfinished()) {
      if (job.status === 'receiving') {
        const now = clock.now().toISOString();
        await store.importJobs.update(job.id, {
          status: 'failed',
          error: { code: 'IMPORT_UPLOAD_INTERRUPTED', message: messageOf('IMPORT_UPLOAD_INTERRUPTED', {}) },
          updatedAt: now,
          finishedAt: now,
        });
        continue;
      }
      // Another node runs it: that node finishes it, or this one takes it up once its lease runs out (adoptAbandoned).
      if (job.lease && job.lease.expiresAt > clock.now().toISOString()) continue;
      this.#enqueue(job.id, job.tenantId);
    }
  }

  /** Stops taking batches (the one in flight finishes); unfinished jobs stay as they are, for the next start. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#watch) clearInterval(this.#watch);
    await this.#resuming?.catch(() => undefined);
    await this.#running;
    // Given up on the way out, so another node takes the jobs up at once rather than after the lease.
    for (const jobId of this.#held) await this.#context.store.importJobs.releaseLease(jobId, this.#runnerId).catch(() => undefined);
    this.#held.clear();
    await this.#pool.close();
  }

  /** Takes or renews this process's lease on the job; false when another node holds it. */
  async #lease(jobId: string): Promise<boolean> {
    const now = this.#context.clock.now();
    const held = await this.#context.store.importJobs.takeLease(jobId, this.#runnerId, now.toISOString(), new Date(now.getTime() + IMPORT_LEASE_MS).toISOString());
    if (held) this.#held.add(jobId);
    else this.#held.delete(jobId);
    return held;
  }

  /** For tests: hold queued jobs (`paused`), or let the next job run only `batches` batches and stop as a crash would. */
  pauseForTests(paused: boolean, batches?: number): Promise<void> {
    this.#paused = paused;
    this.#batchesLeft = batches;
    if (!paused) this.#wake();
    return this.#running ?? Promise.resolve();
  }

  /** Resolves when no job is running (tests wait on it rather than on time). */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  #enqueue(jobId: string, tenantId: string): void {
    if (!this.#queue.some((entry) => entry.jobId === jobId)) this.#queue.push({ jobId, tenantId });
    this.#wake();
  }

  #wake(): void {
    if (this.#running || this.#stopping || this.#paused) return;
    this.#running = (async () => {
      // Not before the request that queued the job has its answer.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        while (!this.#stopping && !this.#paused && this.#queue.length > 0) {
          const next = this.#queue[0]!;
          let finished: boolean;
          try {
            finished = await this.#run(next.jobId, next.tenantId);
          } catch {
            // Not even its failure could be written (the database is gone): the job stays as the
            // database has it, queued or running, and the next start takes it up again.
            finished = true;
          }
          if (!finished) return;
          this.#queue.shift();
        }
      } finally {
        this.#running = undefined;
      }
    })();
  }

  /** Runs a job to its end; false when it stopped in the middle (the server is stopping). */
  async #run(jobId: string, tenantId: string): Promise<boolean> {
    const { store, clock } = this.#context;
    let job = await store.importJobs.get(tenantId, jobId);
    if (!job || job.status === 'done' || job.status === 'failed') return true;
    // One node at a time: another that holds the job runs it (this one takes it up if that node dies).
    if (!(await this.#lease(jobId))) return true;
    if (job.status === 'queued') await store.importJobs.update(jobId, { status: 'running', updatedAt: clock.now().toISOString() });
    // Running, and not held by this process: it was stopped in its middle (a crash, a restart, a node gone).
    else if (job.lease?.runnerId !== this.#runnerId) {
      await store.importJobs.update(jobId, { resumed: job.resumed + 1, updatedAt: clock.now().toISOString() });
      job = { ...job, resumed: job.resumed + 1 };
    }
    // Statistics refreshed as the job starts and each time its rows done double.
    const statistics = { analyzedAt: -1, batchesRun: 0 };
    // Each batch's rows are read, checked and hashed while the one before is written: the next is
    // taken after the last line of this one (rows before it are settled, or another run's).
    let next: Promise<PreparedBatch | 'lease lost'> | undefined;
    let afterLine: number | undefined;
    try {
      for (;;) {
        if (this.#stopping) return false;
        if (this.#batchesLeft !== undefined && this.#batchesLeft-- <= 0) {
          // As a crash would leave it: running, some rows done.
          this.#paused = true;
          this.#batchesLeft = undefined;
          return false;
        }
        const batch = await (next ?? this.#prepareBatch(job, afterLine, statistics));
        next = undefined;
        // The lease, renewed before each batch, was lost (this node was taken for dead): the job is the other node's now.
        if (batch === 'lease lost') return true;
        if (batch.rows.length > 0) {
          // The job acts with the authority of who started it, as it holds now: gone, it stops here.
          const stopped = batch.authorityLost;
          if (stopped) {
            const now = clock.now().toISOString();
            await store.transaction(async (tx) => {
              if (!(await tx.importJobs.update(jobId, { status: 'failed', error: stopped, updatedAt: now, finishedAt: now }, 'running'))) return;
              await recordAudit(this.#context, tx, job!.actor, {
                category: 'authz',
                action: 'permission.denied',
                outcome: 'denied',
                detail: { via: 'csv import job', job: jobId, code: stopped.code },
              });
            });
            return true;
          }
          afterLine = batch.rows.at(-1)!.line;
          if (!this.#stopping) {
            const ahead = this.#prepareBatch(job, afterLine, statistics);
            // Awaited at the top of the loop, or in `finally` when the job stops first.
            ahead.catch(() => undefined);
            next = ahead;
          }
          for (let attempt = 1; ; attempt++) {
            try {
              await this.#writeBatch(job, batch);
              break;
            } catch (error) {
              // Rolled back whole: another request took one of these emails between the check and the
              // insert, or the database went away for a moment. The same rows are still pending: write
              // them again (a taken email is then reported as such); give up after a few tries.
              if (attempt >= MAX_BATCH_ATTEMPTS) throw error;
              await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
              if (!(await this.#lease(jobId))) return true;
            }
          }
          // Embedded SQLite answers synchronously, so a batch never waits on I/O: let the requests
          // that came in meanwhile (sign-ins, this job's progress) through before the next one.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        job = (await store.importJobs.get(tenantId, jobId))!;
        // All or nothing: every row checked and none rejected, so now they are created.
        if (job.phase === 'validate' && job.allOrNothing && !job.dryRun && job.counts.failed === 0) {
          await store.transaction(async (tx) => {
            await tx.importJobs.moveRows(jobId, 'valid', 'pending');
            await tx.importJobs.update(jobId, { phase: 'create', updatedAt: clock.now().toISOString() });
            await tx.importJobs.addToCounts(jobId, { done: -job!.counts.valid, created: 0, valid: -job!.counts.valid, failed: 0, passwordsHashed: 0 }, clock.now().toISOString());
          });
          job = { ...job, phase: 'create' };
          afterLine = undefined;
          continue;
        }
        await this.#finish(job);
        await store.importJobs.deleteRowsOfJobsFinishedBefore(new Date(clock.now().getTime() - IMPORT_ROWS_RETENTION_MS).toISOString());
        return true;
      }
    } catch (error) {
      const now = clock.now().toISOString();
      const message = error instanceof Error ? error.message : String(error);
      await store.importJobs.update(jobId, { status: 'failed', error: { code: 'IMPORT_FAILED', message: messageOf('IMPORT_FAILED', { reason: message }) }, updatedAt: now, finishedAt: now });
      return true;
    } finally {
      // A batch read ahead and not written (the job stopped or failed first) writes nothing; its reads end here.
      await next?.catch(() => undefined);
    }
  }

  /** Why the job's actor may no longer run it (deleted, suspended, or without ManageUsers in the job's tenant), or undefined. */
  async #authorityLost(job: ImportJob): Promise<{ code: string; message: string } | undefined> {
    const { store } = this.#context;
    const done = async () => `${(await store.importJobs.get(job.tenantId, job.id))?.counts.created ?? 0} row(s) were created before; the others were not`;
    const user = await store.users.getById(job.actor.userId);
    if (!user || user.status !== 'active') return { code: 'IMPORT_ACTOR_INACTIVE', message: `The admin who started this import (${job.actor.email}) is no longer active, so it stopped: ${await done()}.` };
    // Read afresh (not the decision of the request that started the job): the job may run for long.
    if (await this.#access.holds(job.actor, 'ManageUsers', job.tenantId, withBatchReads(store, this.#context.clock))) return undefined;
    return { code: 'PERMISSION_MISSING', message: `The admin who started this import (${job.actor.email}) no longer holds ManageUsers in this tenant, so it stopped: ${await done()}.` };
  }

  /**
   * A batch made ready to write, outside any transaction: the lease renewed, the next rows read
   * (after `afterLine`), the actor's authority read afresh, each row checked, and the credential
   * of each row to create settled (the file's passwords hashed on the worker pool). The job runs
   * this for batch N+1 while batch N is written, so the hashing and the checks of one overlap the
   * other's transaction.
   */
  async #prepareBatch(job: ImportJob, afterLine: number | undefined, statistics: { analyzedAt: number; batchesRun: number }): Promise<PreparedBatch | 'lease lost'> {
    const { store, settings } = this.#context;
    if (!(await this.#lease(job.id))) return 'lease lost';
    const rows = await store.importJobs.listRows(job.id, { status: 'pending', afterLine, limit: store.importJobs.batchRows });
    const batch: PreparedBatch = { rows, prepared: [], settled: new Map(), refusals: new Map(), hashed: new Map(), passwordsHashed: 0, authorityLost: undefined };
    if (rows.length === 0) return batch;
    // The planner's statistics, refreshed as the job grows the tables (PostgreSQL's ANALYZE, 0.1–0.2 s),
    // while this batch is checked and hashed; the batch is written once it is done. A job of one
    // batch grows them too little to matter, and its ANALYZE would take a core from its hashing.
    const onlyBatch = statistics.batchesRun === 0 && rows.length < store.importJobs.batchRows;
    let analyzing: Promise<void> | undefined;
    if (!onlyBatch && statistics.batchesRun >= 2 * statistics.analyzedAt) {
      analyzing = store.importJobs.refreshStatistics();
      analyzing.catch(() => undefined);
      statistics.analyzedAt = Math.max(1, statistics.batchesRun);
    }
    statistics.batchesRun += 1;
    try {
      batch.authorityLost = await this.#authorityLost(job);
      if (batch.authorityLost) return batch;
      await this.#checkRows(job, batch);
      if (job.phase === 'create' && !job.dryRun) await this.#settleCredentials(job, batch, settings.mailEnabled);
    } finally {
      await analyzing;
    }
    return batch;
  }

  /** The checks of each row that need no transaction (fields, password policy, tenant, ManageUsers there, an email repeated earlier in the file). */
  async #checkRows(job: ImportJob, batch: PreparedBatch): Promise<void> {
    const { store } = this.#context;
    const key = this.#sealingKey();
    const reads = withBatchReads(store, this.#context.clock);
    const firstLines = await store.importJobs.firstLinesOfEmails(job.id, batch.rows.map((row) => normalizeEmail(row.email)));
    for (const [index, row] of batch.rows.entries()) {
      // Its reads are mostly answered from the batch's memo, without a turn of the event loop: let the
      // batch being written meanwhile take its answers every so often.
      if (index > 0 && index % YIELD_EVERY_ROWS === 0) await new Promise((resolve) => setImmediate(resolve));
      try {
        let password: string | undefined;
        if (row.passwordSealed) {
          if (job.sealedKey !== key.id) {
            throw fail('IMPORT_PASSWORD_LOST');
          }
          password = unseal(key, row.passwordSealed, `${job.id}:${row.line}:password`, 'import-secret').toString('utf8');
        }
        const user = await this.#users.prepareCreate(job.actor, { email: row.email, displayName: row.displayName, ...(row.role ? { role: row.role } : {}), ...(row.tenant ? { tenant: row.tenant } : {}), ...(password !== undefined ? { password } : {}) }, reads);
        const earlier = firstLines.get(normalizeEmail(user.email));
        if (earlier !== undefined && earlier < row.line) throw fail('EMAIL_REPEATED', { email: user.email, earlier });
        batch.prepared.push({ row, user });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        batch.settled.set(row.line, { line: row.line, status: 'rejected', error: { code: error.code, message: error.message } });
        if (error.kind === 'forbidden') batch.refusals.set(row.line, error);
      }
    }
  }

  /**
   * The credential of each row to create: the file's password hashed on the worker pool; else no
   * argon2 at all: an invitation link (SMTP), or a one-time password kept as SHA-256 and sealed
   * for the admin who started the job.
   */
  async #settleCredentials(job: ImportJob, batch: PreparedBatch, mailEnabled: boolean): Promise<void> {
    const key = this.#sealingKey();
    const withPassword = batch.prepared.filter(({ user }) => user.password !== undefined);
    const hashing = this.#pool.hashAll(withPassword.map(({ user }) => user.password!));
    for (const [index, { row, user }] of batch.prepared.entries()) {
      if (index > 0 && index % YIELD_EVERY_ROWS === 0) await new Promise((resolve) => setImmediate(resolve));
      if (user.password !== undefined) continue;
      if (mailEnabled) batch.hashed.set(row.line, { ...user, initialPassword: '', passwordHash: NO_PASSWORD_HASH });
      else {
        const oneTime = generatePassword();
        const oneTimePasswordSealed = seal(key, Buffer.from(oneTime, 'utf8'), `${job.id}:${row.line}:one-time`, 'import-secret');
        batch.hashed.set(row.line, { ...user, initialPassword: oneTime, passwordHash: hashOneTimePassword(oneTime), oneTimePasswordSealed });
      }
    }
    const hashes = await hashing;
    batch.passwordsHashed = hashes.length;
    withPassword.forEach(({ row, user }, index) => batch.hashed.set(row.line, { ...user, initialPassword: user.password!, passwordHash: hashes[index]! }));
  }

  /** Writes a prepared batch in one transaction: claims its rows, creates their users as `POST /users` would, records each row's outcome. */
  async #writeBatch(job: ImportJob, prepared: PreparedBatch): Promise<void> {
    const { store, clock } = this.#context;
    const actor = job.actor;
    const creating = job.phase === 'create' && !job.dryRun;
    const key = this.#sealingKey();
    const { rows, settled, refusals, hashed, passwordsHashed } = prepared;
    await store.transaction(async (tx) => {
      const claimed = new Set(await tx.importJobs.claimRows(job.id, rows.map((row) => row.line), 'pending'));
      // Another run (another node resuming the same job) took this batch first: nothing to do.
      if (claimed.size === 0) return;
      const outcomes = new Map(settled);
      const denied = new Map(refusals);
      const count = { done: 0, created: 0, valid: 0, failed: 0 };
      const taken = await tx.importJobs.takenEmails(prepared.prepared.filter(({ row }) => claimed.has(row.line)).map(({ user }) => normalizeEmail(user.email)));
      const writes: BatchWrites = { users: [], audit: [], assignments: [] };
      const batch = withBatchWrites(withBatchReads(tx, clock), taken, writes);
      for (const { row, user } of prepared.prepared) {
        if (!claimed.has(row.line)) continue;
        let role: Role;
        try {
          role = await this.#users.checkCreatable(batch, actor, user);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          outcomes.set(row.line, { line: row.line, status: 'rejected', error: { code: error.code, message: error.message } });
          if (error.kind === 'forbidden') denied.set(row.line, error);
          continue;
        }
        if (!creating) {
          outcomes.set(row.line, { line: row.line, status: 'valid' });
          continue;
        }
        const ready = hashed.get(row.line)!;
        const inserted = await this.#users.insertPrepared(batch, actor, ready, role, 'csv import job');
        const outcome: ImportRowOutcome = {
          user: { id: inserted.created.id, email: inserted.created.email, displayName: inserted.created.displayName, role: role.name, homeTenant: user.tenant.slug, status: inserted.created.status },
          passwordExpiresAt: inserted.created.passwordExpiresAt ?? undefined,
          ...(inserted.invitation ? { invitation: inserted.invitation } : {}),
          ...(inserted.notice ? { notice: inserted.notice } : {}),
        };
        let oneTimePasswordSealed: string | null = null;
        if (!inserted.invitation && !inserted.notice && user.password === undefined) {
          outcome.oneTimePassword = 'sealed';
          oneTimePasswordSealed = ready.oneTimePasswordSealed ?? seal(key, Buffer.from(ready.initialPassword, 'utf8'), `${job.id}:${row.line}:one-time`, 'import-secret');
        }
        outcomes.set(row.line, { line: row.line, status: 'created', userId: inserted.created.id, outcome, oneTimePasswordSealed });
      }
      const byLine = new Map(rows.map((row) => [row.line, row]));
      const mine = [...outcomes.values()].filter((outcome) => claimed.has(outcome.line)).map((outcome) => ({ ...outcome, row: byLine.get(outcome.line)! }));
      for (const outcome of mine) {
        count.done += 1;
        if (outcome.status === 'created') count.created += 1;
        else if (outcome.status === 'valid') count.valid += 1;
        else count.failed += 1;
      }
      await flushBatchWrites(tx, writes);
      await tx.importJobs.settleRows(job.id, mine);
      await tx.importJobs.addToCounts(job.id, { ...count, passwordsHashed: creating ? passwordsHashed : 0 }, clock.now().toISOString());
      // A row refused for want of a permission is a refused authorization, audited as one would be at the route.
      for (const [line, error] of denied) {
        if (!claimed.has(line)) continue;
        await recordAudit(this.#context, tx, actor, {
          category: 'authz',
          action: 'permission.denied',
          outcome: 'denied',
          detail: { via: 'csv import job', job: job.id, line, code: error.code, missingPermission: error.details.missingPermission ?? null, tenant: error.details.tenant ?? null },
        });
      }
    });
  }

  /** Ends a job once (a conditional update decides, on any node) with its own summary in the audit trail. */
  async #finish(job: ImportJob): Promise<void> {
    const { store, clock } = this.#context;
    await store.transaction(async (tx) => {
      const now = clock.now().toISOString();
      if (!(await tx.importJobs.update(job.id, { status: 'done', updatedAt: now, finishedAt: now }, 'running'))) return;
      const finished = (await tx.importJobs.get(job.tenantId, job.id))!;
      if (finished.dryRun || finished.counts.created === 0) {
        // Nothing was written (a dry run, or all-or-nothing met a rejected row): the valid rows keep no password.
        await tx.importJobs.clearPasswords(job.id);
      }
      const rejected = await tx.importJobs.listRows(job.id, { status: 'rejected', limit: 100 });
      await recordAudit(this.#context, tx, job.actor, {
        category: 'users',
        action: 'users.imported',
        subjectType: 'import_job',
        subjectId: job.id,
        detail: {
          job: job.id,
          dryRun: finished.dryRun,
          allOrNothing: finished.allOrNothing,
          rows: finished.counts.total,
          created: finished.counts.created,
          valid: finished.counts.valid,
          rejected: finished.counts.failed,
          passwordsHashed: finished.passwordsHashed,
          resumed: finished.resumed,
          rejectedLines: rejected.map((row) => ({ line: row.line, code: row.error?.code ?? null })),
        },
      });
    });
  }

  /**
   * The key rows' passwords and one-time passwords are sealed with: derived from the server's
   * master key, so a job resumed after a restart reads them back; without one, a key of this
   * process only (a resumed job then reports its unread password rows, IMPORT_PASSWORD_LOST).
   */
  #sealingKey(): MasterKey {
    if (this.#key) return this.#key;
    const master = this.#context.masterKey;
    this.#key = master?.status === 'ready' ? master.key : masterKeyOf(randomBytes(32), 'this process');
    return this.#key;
  }

  #view(job: ImportJob, extra: { pending: number }): ImportJobView {
    return {
      id: job.id,
      status: job.status,
      phase: job.phase,
      dryRun: job.dryRun,
      allOrNothing: job.allOrNothing,
      applied: job.counts.created > 0,
      counts: { ...job.counts, pending: extra.pending },
      passwordsHashed: job.passwordsHashed,
      resumed: job.resumed,
      error: job.error,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      finishedAt: job.finishedAt,
    };
  }
}

/** A batch read, checked and hashed, ready for its transaction (#prepareBatch, #writeBatch). */
interface PreparedBatch {
  rows: ImportJobRow[];
  /** The rows that passed the checks outside the transaction. */
  prepared: { row: ImportJobRow; user: PreparedUser }[];
  /** The outcomes of the rows that did not. */
  settled: Map<number, SettledImportJobRow>;
  /** Of those, the rows refused for want of a permission (audited as refused authorizations). */
  refusals: Map<number, DomainError>;
  /** The credential of each row to create; its one-time password sealed already, when it has one. */
  hashed: Map<number, HashedUser & { oneTimePasswordSealed?: string }>;
  passwordsHashed: number;
  /** Why the job's actor may no longer run it; nothing else was read then. */
  authorityLost: { code: string; message: string } | undefined;
}

const MEMOIZED: Partial<Record<keyof Store, readonly string[]>> = {
  tenants: ['getById', 'getBySlug'],
  roles: ['getById', 'listVisibleIn'],
  assignments: ['get', 'getRole', 'getRoleWithTerm'],
};
/** Reads of the role in force at an instant (their last argument): a batch reads them at one instant, its first read's. */
const AT_AN_INSTANT: ReadonlySet<string> = new Set(['assignments.getRole', 'assignments.getRoleWithTerm']);

/**
 * The store a batch reads through: tenants, roles and the actor's memberships read once per
 * batch rather than once per row (a batch writes none of them; the guards still decide on
 * what they read). The role in force is asked for at the moment of each check, which moves on
 * as the batch goes: every check of the batch up to the clock's present is answered as of the
 * first one (a later instant, such as the end of time a permanent assignment is asked at, is
 * read for itself), so a batch costs one read of the actor's role, not one a millisecond.
 */
function withBatchReads(store: Store, clock: Clock): Store {
  const memo = new Map<string, Promise<unknown>>();
  let present: string | undefined;
  const wrapped: Record<string, unknown> = { ...store };
  for (const [part, methods] of Object.entries(MEMOIZED) as [keyof Store, readonly string[]][]) {
    const target = store[part] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const copy: Record<string, unknown> = { ...target };
    for (const method of methods) {
      if (typeof target[method] !== 'function') continue;
      const atAnInstant = AT_AN_INSTANT.has(`${part}.${method}`);
      copy[method] = (...args: unknown[]) => {
        if (atAnInstant) {
          const at = args.at(-1) as string;
          present ??= at;
          if (at >= present && at <= clock.now().toISOString()) args = [...args.slice(0, -1), present];
        }
        const key = `${part}.${method}:${JSON.stringify(args)}`;
        let answer = memo.get(key);
        if (!answer) memo.set(key, (answer = target[method]!(...args)));
        return answer;
      };
    }
    wrapped[part] = copy;
  }
  return wrapped as unknown as Store;
}

interface BatchWrites {
  users: StoredUser[];
  audit: AuditEvent[];
  assignments: RoleAssignment[];
}

/**
 * The store a batch's transaction writes through: new users, their role assignments and the
 * audit events are gathered and written by a few multi-row inserts (`flushBatchWrites`), in
 * the same transaction; whether an email is taken is answered from one read of the batch's
 * emails (`taken`). A one-time link or a mail refers to its user, so the users gathered so far
 * are written before one is.
 */
function withBatchWrites(store: Store, taken: Set<string>, writes: BatchWrites): Store {
  const flushingFirst = <Part extends object>(part: Part): Part => {
    const copy: Record<string, unknown> = { ...(part as Record<string, unknown>) };
    for (const [name, method] of Object.entries(part)) {
      if (typeof method !== 'function') continue;
      copy[name] = async (...args: unknown[]) => {
        await flushBatchWrites(store, writes);
        return (method as (...args: unknown[]) => Promise<unknown>).apply(part, args);
      };
    }
    return copy as Part;
  };
  return {
    ...store,
    users: {
      ...store.users,
      create: async (user: StoredUser) => void writes.users.push(user),
      getByEmail: (email: string) => (taken.has(email) ? store.users.getByEmail(email) : Promise.resolve(undefined)),
    },
    assignments: { ...store.assignments, set: async (assignment: RoleAssignment) => void writes.assignments.push(assignment) },
    audit: { ...store.audit, append: async (event: AuditEvent) => void writes.audit.push(event) },
    links: flushingFirst(store.links),
    mail: flushingFirst(store.mail),
  };
}

async function flushBatchWrites(store: Store, writes: BatchWrites): Promise<void> {
  const users = writes.users.splice(0);
  const assignments = writes.assignments.splice(0);
  const audit = writes.audit.splice(0);
  await store.importJobs.insertUsers(users);
  await store.importJobs.addAssignments(assignments);
  await store.importJobs.appendAuditEvents(audit);
}

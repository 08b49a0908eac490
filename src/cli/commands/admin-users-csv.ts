import { InvalidArgumentError, type Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { Presets, SingleBar } from 'cli-progress';
import { createReadStream, statSync } from 'node:fs';
import { encodingNamed } from '../../domain/csv.ts';
import { action, examples } from '../action.ts';
import type { CliContext } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { downloadExport } from '../export-file.ts';
import { CliError, ExitCode, failedWith, usageError } from '../exit-codes.ts';
import { note, printLine, printTable, renderTable } from '../output.ts';

interface ImportRowResult {
  line: number;
  email: string;
  status: 'created' | 'valid' | 'rejected';
  error?: { code: string; message: string };
  user?: { id: string; role: string | null; homeTenant: string };
  oneTimePassword?: string;
  invitation?: { delivery: 'queued'; expiresAt: string };
  notice?: { delivery: 'queued' };
}

function encodingArgument(value: string): string {
  if (!encodingNamed(value)) throw new InvalidArgumentError(`"${value}" is not a character encoding: use utf-8 (the default) or windows-1252 (Excel's "CSV (Comma delimited)"), or another WHATWG name (iso-8859-2, macintosh, …).`);
  return value.trim();
}

/** The job as GET /users/imports/:id tells it. */
interface ImportJobView {
  id: string;
  status: 'receiving' | 'queued' | 'running' | 'done' | 'failed';
  phase: 'validate' | 'create';
  dryRun: boolean;
  allOrNothing: boolean;
  applied: boolean;
  counts: { total: number; done: number; created: number; valid: number; failed: number; pending: number };
  passwordsHashed: number;
  resumed: number;
  error: { code: string; message: string } | null;
  rows?: (ImportRowResult & { status: ImportRowResult['status'] | 'pending'; oneTimePasswordUnavailable?: 'shown' | 'lost' })[];
  nextAfterLine?: number | null;
}

const POLL_MS = 250;
const ROWS_PAGE = 1000;

/**
 * `sophon admin users import users.csv`: the file goes to POST /users/imports as it is read
 * (any size, never held whole), the server runs it as a job, and this follows its progress
 * (a bar on a terminal: rows done of total, rate, time left), then prints the report a page of
 * rows at a time. Lines are the file's own; the server reads the file itself.
 */
async function importUsers(context: CliContext, [file]: string[], options: { dryRun?: boolean; allOrNothing?: boolean; encoding?: string }): Promise<void> {
  try {
    if (!statSync(file!).isFile()) throw usageError(`cannot read ${file}: not a file`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  await context.authorize('ManageUsers');
  let job: ImportJobView;
  try {
    job = await context.call<ImportJobView>(endpoints.startImport, {
      raw: { content: createReadStream(file!), contentType: `text/csv; charset=${options.encoding ?? 'utf-8'}` },
      query: { dryRun: options.dryRun ? 'true' : undefined, allOrNothing: options.allOrNothing ? 'true' : undefined },
    });
  } catch (error) {
    // Refused as a whole (not CSV, not text in its encoding, unknown columns): say which file, and the flag that reads Excel's.
    if (!(error instanceof CliError) || !error.code?.startsWith('CSV_')) throw error;
    const hint = failedWith(error, 'CSV_NOT_UTF8') ? ' To read it as Windows-1252: --encoding windows-1252.' : '';
    throw new CliError(ExitCode.Failure, `${file}: ${error.message}${hint}`, error.code);
  }
  await followImport(context, job);
}

async function importStatus(context: CliContext, [id]: string[]): Promise<void> {
  await context.authorize('ManageUsers');
  await followImport(context, await context.call<ImportJobView>(endpoints.getImport, { params: { id: id! } }));
}

/** Polls the job to its end (a progress bar on a terminal), then prints its report and exits 1 if any row was rejected. */
async function followImport(context: CliContext, started: ImportJobView): Promise<void> {
  let job = started;
  const terminal = Boolean(process.stderr.isTTY) && !context.json;
  const bar = terminal
    ? new SingleBar(
        { format: 'Importing |{bar}| {value}/{total} rows {phase}| {rate} rows/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 40, fps: 5 },
        Presets.shades_classic,
      )
    : undefined;
  const began = Date.now();
  const doneAtStart = job.counts.done;
  const payload = () => {
    const seconds = (Date.now() - began) / 1000;
    return { phase: job.allOrNothing ? (job.phase === 'validate' ? '(checking) ' : '(creating) ') : '', rate: seconds > 0 ? Math.round((job.counts.done - doneAtStart) / seconds) : 0 };
  };
  // The job runs on the server whatever becomes of this process: say how to follow it again.
  if (!context.json) note(`Import job ${job.id}: ${job.counts.total} row(s) received${job.status === 'done' || job.status === 'failed' ? '' : '; the server goes on if this stops (follow it again: sophon admin users import-status ' + job.id + ')'}.`);
  bar?.start(job.counts.total, job.counts.done, payload());
  try {
    while (job.status !== 'done' && job.status !== 'failed') {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await context.call<ImportJobView>(endpoints.getImport, { params: { id: job.id } });
      bar?.update(job.counts.done, payload());
    }
  } finally {
    bar?.stop();
  }

  const counts = { rows: job.counts.total, created: job.counts.created, valid: job.counts.valid, rejected: job.counts.failed };
  const summary = { job: job.id, status: job.status, dryRun: job.dryRun, allOrNothing: job.allOrNothing, applied: job.applied, counts, passwordsHashed: job.passwordsHashed, resumed: job.resumed, error: job.error };
  let shownOneTime = false;
  let lostOneTime = false;
  // The rows, a page at a time, printed as they come: a report of any length in constant memory.
  if (context.json) process.stdout.write(`${JSON.stringify(summary, null, 2).replace(/\n}$/, ',\n  "rows": [')}\n`);
  let first = true;
  for (let afterLine: number | undefined; ; ) {
    const page = await context.call<ImportJobView>(endpoints.listImportRows, { params: { id: job.id }, query: { afterLine, limit: ROWS_PAGE } });
    const rows = page.rows ?? [];
    shownOneTime ||= rows.some((row) => row.oneTimePassword);
    lostOneTime ||= rows.some((row) => row.oneTimePasswordUnavailable === 'lost');
    if (context.json) {
      for (const row of rows) {
        process.stdout.write(`${first ? '' : ',\n'}    ${JSON.stringify(row)}`);
        first = false;
      }
    } else if (rows.length > 0) {
      const table = renderTable(rows, [
        { header: 'LINE', value: (row) => row.line },
        { header: 'EMAIL', value: (row) => row.email },
        { header: 'STATUS', value: (row) => row.status },
        { header: 'ID', value: (row) => row.user?.id ?? null },
        {
          header: 'DETAIL',
          value: (row) =>
            row.error
              ? `${row.error.message} (${row.error.code})`
              : row.oneTimePassword
                ? `one-time password: ${row.oneTimePassword}`
                : row.oneTimePasswordUnavailable
                  ? `one-time password ${row.oneTimePasswordUnavailable === 'shown' ? 'shown before' : 'lost in a restart'}: sophon admin users one-time-link ${row.user?.id ?? ''}`
                  : row.invitation
                    ? 'invitation queued (not sent yet)'
                    : row.notice
                      ? 'notice queued; hand the password over yourself'
                      : null,
        },
      ]);
      printLine(first ? table : table.split('\n').slice(1).join('\n'));
      first = false;
    }
    if (page.nextAfterLine === null || page.nextAfterLine === undefined) break;
    afterLine = page.nextAfterLine;
  }
  if (context.json) process.stdout.write(`${first ? '' : '\n'}  ]\n}\n`);
  else {
    if (shownOneTime) note('The one-time passwords above are shown this once: pass them on now; each must be changed at first sign-in.');
    if (lostOneTime) note('Some one-time passwords could not be shown (the server restarted without a key of its own): give those users a one-time link instead.');
    if (job.resumed > 0) note(`The server restarted during this import; it went on where it stopped (${job.resumed} time(s)), and no row was created twice.`);
    const verdict = job.status === 'failed'
      ? `The import stopped: ${counts.created} user(s) created, ${counts.rejected} row(s) rejected before it did.`
      : summary.dryRun
        ? `Dry run: ${counts.valid} row(s) would be created, ${counts.rejected} rejected; nothing was written.`
        : counts.created === 0 && counts.rejected > 0 && summary.allOrNothing
          ? `All or nothing: ${counts.rejected} row(s) rejected, so nobody was created.`
          : `${counts.created} user(s) created, ${counts.rejected} row(s) rejected.`;
    printLine(verdict);
  }
  if (job.status === 'failed') throw new CliError(ExitCode.ServerError, `import job ${job.id} failed: ${job.error?.message ?? 'no reason given'}`, job.error?.code);
  // A script must be able to tell a file that went in whole from one that didn't.
  if (counts.rejected > 0) throw new CliError(ExitCode.Failure, `${counts.rejected} of ${counts.rows} row(s) rejected; see the table${context.json ? ' (JSON)' : ''} for each line's reason.`, 'CSV_ROWS_REJECTED');
}

async function exportUsers(context: CliContext, _args: string[], options: { out?: string; allTenants?: boolean; bom?: boolean }): Promise<void> {
  if (options.bom && context.json && !options.out) throw usageError('--bom marks a CSV file, and with --json (and no --out) the output is JSON: add --out <file>, or leave out --json.');
  const allTenants = options.allTenants ? 'true' : undefined;
  // Written as it arrives, whatever the size: a file, CSV on standard output, or (--json) a JSON array of the rows.
  if (!options.out && context.json) {
    await downloadExport(context, endpoints.exportUsers, { query: { allTenants, format: 'jsonl' } }, { jsonLinesAsArray: true });
    return;
  }
  const { records } = await downloadExport(context, endpoints.exportUsers, { query: { allTenants } }, { out: options.out, bom: options.bom, countCsvRecords: Boolean(options.out) });
  if (options.out) context.output({ out: options.out, rows: records }, () => printLine(`Exported ${records} user row(s) to ${options.out}.`));
}

export function addUserCsvCommands(users: Command): void {
  users
    .command('import')
    .description(
      'create users from a CSV file of any size with the columns email,displayName,role,tenant,password: the file is streamed to the server, which runs it as a job (a progress bar on a terminal); rows without a password get an invitation mail (or, without SMTP, a one-time password printed once), rows with one a notice that holds no password (with SMTP); a row whose role or tenant does not exist, or that fails another check, is rejected with its reason (exit 1)',
    )
    .argument('<file>', 'the CSV file: header row first, separated by commas (or semicolons), UTF-8 unless --encoding says otherwise')
    .option('--dry-run', 'check every row and report; create nobody')
    .option('--all-or-nothing', 'create nobody unless every row is valid')
    .option('--encoding <encoding>', 'the file\'s character encoding: utf-8 (default) or windows-1252, what Excel\'s plain "CSV (Comma delimited)" writes', encodingArgument)
    .addHelpText(
      'after',
      examples(
        'sophon admin users import users.csv',
        'sophon admin users import 100k-users.csv --json > report.json',
        'sophon admin users import users.csv --dry-run',
        'sophon admin users import users.csv --all-or-nothing --tenant acme --json',
        'sophon admin users import excel-export.csv --encoding windows-1252',
      ),
    )
    .action(action(importUsers));

  users
    .command('import-status')
    .description('follow an import job to its end and print its report (after an interrupted `import`, or a server restart: the job goes on where it stopped)')
    .argument('<job-id>', 'the job id `import` printed')
    .addHelpText('after', examples('sophon admin users import-status 0193a6f0-…', 'sophon admin users import-status 0193a6f0-… --json'))
    .action(action(importStatus));

  users
    .command('export')
    .description('write the users of the tenant (or of every tenant you can see) as CSV: email,displayName,role,tenant,status,lastLoginAt,createdAt,homeTenant,id')
    .option('--out <file>', 'write to this file (created readable by you only); without it, the CSV goes to standard output')
    .option('--all-tenants', 'one row per membership in every tenant where you hold ViewUsers')
    .option('--bom', 'start the file with a UTF-8 byte-order mark, so Excel reads it as UTF-8 (names like "René" shown right)')
    .addHelpText('after', examples('sophon admin users export --out users.csv', 'sophon admin users export --all-tenants --out everyone.csv', 'sophon admin users export --bom --out users-for-excel.csv'))
    .action(action(exportUsers));
}

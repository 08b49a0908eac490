import { InvalidArgumentError, type Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeCsv, encodingNamed, withByteOrderMark } from '../../domain/csv.ts';
import { DomainError } from '../../domain/errors.ts';
import { delimiterOf } from '../../domain/users/user-csv.ts';
import { action, examples } from '../action.ts';
import type { CliContext } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { CliError, ExitCode, usageError } from '../exit-codes.ts';
import { note, printLine, printTable } from '../output.ts';

/** What the server takes in one request; a bigger file goes in batches of this many rows. */
const BATCH_ROWS = 1000;

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

interface ImportReport {
  dryRun: boolean;
  allOrNothing: boolean;
  applied: boolean;
  counts: { rows: number; created: number; valid: number; rejected: number };
  rows: ImportRowResult[];
}

interface Batch {
  csv: string;
  /** For a re-written batch: the line of the file each row ends on, in order. */
  lines: number[] | undefined;
}

/**
 * Splits a file into batches the server takes, each with the header. A file within the limit
 * goes as it is, so the server's line numbers are the file's own; a bigger one is re-written
 * per batch (every cell quoted, so spaces a password keeps stay), and each row carries the
 * line of the file it came from. Parsed the way the server parses, so rows line up.
 */
export function batchesOf(text: string, file: string): Batch[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, delimiter: delimiterOf(text), trim: true, skip_empty_lines: true, info: true, record_delimiter: ['\r\n', '\n'] }) as unknown as typeof records;
  } catch (error) {
    throw new CliError(ExitCode.Failure, `${file} is not valid CSV: ${(error as Error).message}`, 'CSV_INVALID');
  }
  const [header, ...rows] = records;
  if (!header || rows.length <= BATCH_ROWS) return [{ csv: text, lines: undefined }];
  const batches: Batch[] = [];
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const slice = rows.slice(start, start + BATCH_ROWS);
    batches.push({ csv: stringify([header.record, ...slice.map((row) => row.record)], { quoted: true }), lines: slice.map((row) => row.info.lines) });
  }
  return batches;
}

/**
 * The file as text, decoded as the server would (UTF-8, or `--encoding`), so that what is
 * sent is UTF-8 and a file that isn't text in its encoding is refused before anything is sent.
 */
export function readCsvFile(file: string, encoding: string | undefined): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return decodeCsv(bytes, encoding);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const hint = error.code === 'CSV_NOT_UTF8' ? ' To read it as Windows-1252: --encoding windows-1252.' : '';
    throw new CliError(ExitCode.Failure, `${file}: ${error.message}${hint}`, error.code);
  }
}

function encodingArgument(value: string): string {
  if (!encodingNamed(value)) throw new InvalidArgumentError(`"${value}" is not a character encoding: use utf-8 (the default) or windows-1252 (Excel's "CSV (Comma delimited)"), or another WHATWG name (iso-8859-2, macintosh, …).`);
  return value.trim();
}

async function importUsers(context: CliContext, [file]: string[], options: { dryRun?: boolean; allOrNothing?: boolean; encoding?: string }): Promise<void> {
  const text = readCsvFile(file!, options.encoding);
  await context.authorize('ManageUsers');
  const batches = batchesOf(text, file!);
  // All or nothing is one transaction on the server, so one request: a promise the CLI can keep.
  if (options.allOrNothing && batches.length > 1) {
    throw usageError(`--all-or-nothing takes files of up to ${BATCH_ROWS} users (one transaction on the server); ${file} has more. Split it, or import without the flag (rejected rows are listed either way).`);
  }
  const reports: ImportReport[] = [];
  for (const batch of batches) {
    const report = await context.call<ImportReport>(endpoints.importUsers, {
      raw: { content: batch.csv, contentType: 'text/csv; charset=utf-8' },
      query: { dryRun: options.dryRun ? 'true' : undefined, allOrNothing: options.allOrNothing ? 'true' : undefined },
    });
    // A re-written batch has its own line numbers; say them as lines of the file.
    reports.push(batch.lines ? { ...report, rows: report.rows.map((row, index) => ({ ...row, line: batch.lines![index] ?? row.line })) } : report);
  }

  const rows = reports.flatMap((report) => report.rows);
  const counts = { rows: rows.length, created: 0, valid: 0, rejected: 0 };
  for (const row of rows) counts[row.status] += 1;
  const summary: ImportReport = { dryRun: options.dryRun ?? false, allOrNothing: options.allOrNothing ?? false, applied: counts.created > 0, counts, rows };

  context.output(summary, () => {
    printTable(rows, [
      { header: 'LINE', value: (row) => row.line },
      { header: 'EMAIL', value: (row) => row.email },
      { header: 'STATUS', value: (row) => row.status },
      { header: 'ID', value: (row) => row.user?.id ?? null },
      {
        header: 'DETAIL',
        value: (row) =>
          row.error ? `${row.error.message} (${row.error.code})` : row.oneTimePassword ? `one-time password: ${row.oneTimePassword}` : row.invitation ? 'invitation queued (not sent yet)' : row.notice ? 'notice queued; hand the password over yourself' : null,
      },
    ]);
    if (rows.some((row) => row.oneTimePassword)) note('The one-time passwords above are shown this once: pass them on now; each must be changed at first sign-in.');
    const verdict = summary.dryRun
      ? `Dry run: ${counts.valid} row(s) would be created, ${counts.rejected} rejected; nothing was written.`
      : counts.created === 0 && counts.rejected > 0 && summary.allOrNothing
        ? `All or nothing: ${counts.rejected} row(s) rejected, so nobody was created.`
        : `${counts.created} user(s) created, ${counts.rejected} row(s) rejected.`;
    printLine(verdict);
  });
  // A script must be able to tell a file that went in whole from one that didn't.
  if (counts.rejected > 0) throw new CliError(ExitCode.Failure, `${counts.rejected} of ${counts.rows} row(s) rejected; see the table${context.json ? ' (JSON)' : ''} for each line's reason.`, 'CSV_ROWS_REJECTED');
}

async function exportUsers(context: CliContext, _args: string[], options: { out?: string; allTenants?: boolean; bom?: boolean }): Promise<void> {
  if (options.bom && context.json && !options.out) throw usageError('--bom marks a CSV file, and with --json (and no --out) the output is JSON: add --out <file>, or leave out --json.');
  const csv = await context.call<string>(endpoints.exportUsers, { query: { allTenants: options.allTenants ? 'true' : undefined } });
  const rows = Math.max(0, parse(csv, { bom: true, skip_empty_lines: true }).length - 1);
  // Added here rather than asked of the server, so an older server's export gets it too.
  const file = options.bom ? withByteOrderMark(csv) : csv;
  if (!options.out) {
    if (context.json) printLine(JSON.stringify(parse(csv, { bom: true, columns: true, skip_empty_lines: true }), null, 2));
    else process.stdout.write(file);
    return;
  }
  writeFileSync(options.out, file, { mode: 0o600 });
  context.output({ out: options.out, rows }, () => printLine(`Exported ${rows} user row(s) to ${options.out}.`));
}

export function addUserCsvCommands(users: Command): void {
  users
    .command('import')
    .description(
      'create users from a CSV file with the columns email,displayName,role,tenant,password; rows without a password get an invitation mail (or, without SMTP, a one-time password printed once), rows with one a notice that holds no password (with SMTP); a row whose role or tenant does not exist, or that fails another check, is rejected with its reason (exit 1)',
    )
    .argument('<file>', 'the CSV file: header row first, separated by commas (or semicolons), UTF-8 unless --encoding says otherwise')
    .option('--dry-run', 'check every row and report; create nobody')
    .option('--all-or-nothing', 'create nobody unless every row is valid')
    .option('--encoding <encoding>', 'the file\'s character encoding: utf-8 (default) or windows-1252, what Excel\'s plain "CSV (Comma delimited)" writes', encodingArgument)
    .addHelpText(
      'after',
      examples(
        'sophon admin users import users.csv',
        'sophon admin users import users.csv --dry-run',
        'sophon admin users import users.csv --all-or-nothing --tenant acme --json',
        'sophon admin users import excel-export.csv --encoding windows-1252',
      ),
    )
    .action(action(importUsers));

  users
    .command('export')
    .description('write the users of the tenant (or of every tenant you can see) as CSV: email,displayName,role,tenant,status,lastLoginAt,createdAt,homeTenant,id')
    .option('--out <file>', 'write to this file (created readable by you only); without it, the CSV goes to standard output')
    .option('--all-tenants', 'one row per membership in every tenant where you hold ViewUsers')
    .option('--bom', 'start the file with a UTF-8 byte-order mark, so Excel reads it as UTF-8 (names like "René" shown right)')
    .addHelpText('after', examples('sophon admin users export --out users.csv', 'sophon admin users export --all-tenants --out everyone.csv', 'sophon admin users export --bom --out users-for-excel.csv'))
    .action(action(exportUsers));
}

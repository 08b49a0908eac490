import { CsvError, parse as parseStream, type Options as CsvOptions } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { restoreFormula } from '../csv.ts';
import type { CreateUserInput } from './user-creation.ts';
import { fail } from '../error-catalogue.ts';

/** The seed's import columns, in its order; `email` and `displayName` are required. */
export const IMPORT_COLUMNS = ['email', 'displayName', 'role', 'tenant', 'password'] as const;
const REQUIRED_COLUMNS = ['email', 'displayName'] as const;

/** The export's columns: the import's first (so an export re-imports), then what only an export can say. */
export const EXPORT_COLUMNS = ['email', 'displayName', 'role', 'tenant', 'status', 'lastLoginAt', 'createdAt', 'homeTenant', 'id'] as const;

export const MAX_IMPORT_ROWS = 1000;

export interface ImportRow {
  /** The line of the file the row ends on (1 is the header), for messages a person can find. */
  line: number;
  input: CreateUserInput;
}

/**
 * Reads an import file: a header naming the seed's columns (in any order, case-insensitively),
 * then one user per row. A file that isn't well-formed CSV is refused as a whole, naming the line.
 */
export function parseImportCsv(text: string): ImportRow[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, csvOptions(delimiterOf(text))) as unknown as typeof records;
  } catch (error) {
    throw asCsvInvalid(error);
  }
  if (records.length === 0) throw fail('CSV_EMPTY');
  if (records.length > MAX_IMPORT_ROWS) {
    throw fail('CSV_TOO_MANY_ROWS', { records: records.length, MAX_IMPORT_ROWS });
  }
  return records.map(toImportRow);
}

/**
 * parseImportCsv for a file of any size that arrives as text in pieces (decodeCsvStream):
 * the same header rules, cells and refusals, one row at a time, never the whole file held.
 * Throws CSV_EMPTY at the end when there was a header and no user.
 */
export async function* readImportCsv(text: AsyncIterable<string>): AsyncGenerator<ImportRow> {
  const source = text[Symbol.asyncIterator]();
  // The separator is read from the header, so the parser starts once the header's line is in.
  let start = '';
  for (;;) {
    if (/\S[^\n]*\n/.test(start) || start.length > 64 * 1024) break;
    const next = await source.next();
    if (next.done) break;
    start += next.value;
  }
  const parser = parseStream(csvOptions(delimiterOf(start)));
  // Written with backpressure; a parser that stopped (a refused header, bad CSV) ends the feeding too.
  const write = async (chunk: string) => {
    if (parser.destroyed || parser.write(chunk)) return;
    await new Promise<void>((resolve) => {
      // Whichever comes first; the other listener goes too (left on, a long file piled up 'close' listeners).
      const done = () => {
        parser.off('drain', done);
        parser.off('close', done);
        resolve();
      };
      parser.once('drain', done);
      parser.once('close', done);
    });
  };
  const feed = async () => {
    try {
      if (start) await write(start);
      while (!parser.destroyed) {
        const next = await source.next();
        if (next.done) break;
        await write(next.value);
      }
      if (!parser.destroyed) parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  };
  const feeding = feed();
  let rows = 0;
  try {
    for await (const entry of parser) {
      rows += 1;
      yield toImportRow(entry as { record: Record<string, string>; info: { lines: number } });
    }
  } catch (error) {
    throw asCsvInvalid(error);
  } finally {
    parser.destroy();
    await feeding;
  }
  if (rows === 0) throw fail('CSV_EMPTY');
}

function csvOptions(delimiter: ',' | ';'): CsvOptions {
  return {
    bom: true,
    delimiter,
    columns: (header: string[]) => checkHeader(header),
    skip_empty_lines: true,
    trim: true,
    info: true,
    // Files edited on several systems mix line endings; a row is a row either way.
    record_delimiter: ['\r\n', '\n'],
    max_record_size: 64 * 1024,
  };
}

function asCsvInvalid(error: unknown): unknown {
  if (error instanceof CsvError) {
    const line = (error as CsvError & { lines?: number }).lines;
    return fail('CSV_INVALID', { line: line ? ` at line ${line}` : '', replace: error.message.replace(/ on line \d+$/, '') });
  }
  return error;
}

function toImportRow({ record, info }: { record: Record<string, string>; info: { lines: number } }): ImportRow {
  const cell = (column: string) => {
    const value = restoreFormula(record[column] ?? '');
    return value === '' ? undefined : value;
  };
  const input: CreateUserInput = { email: cell('email') ?? '', displayName: cell('displayName') ?? '' };
  const role = cell('role');
  const tenant = cell('tenant');
  // Spaces around a cell are dropped; a password that begins or ends with one is written in quotes.
  const password = record.password === undefined || record.password === '' ? undefined : record.password;
  if (role) input.role = role;
  if (tenant) input.tenant = tenant;
  if (password !== undefined) input.password = password;
  return { line: info.lines, input };
}

/**
 * The separator of a file, read from its header: a comma, or a semicolon when the header has
 * semicolons and no comma. Where a comma is the decimal separator (much of Europe), Excel's
 * "CSV" is separated by semicolons; the header tells, since it always has two columns or more.
 */
export function delimiterOf(text: string): ',' | ';' {
  const header = text.replace(/^\uFEFF/, '').split('\n').find((line) => line.trim() !== '') ?? '';
  return !header.includes(',') && header.includes(';') ? ';' : ',';
}

// What an export adds to the import's columns: read past, so an exported file imports as it is.
const EXPORT_ONLY_COLUMNS: readonly string[] = EXPORT_COLUMNS.filter((column) => !(IMPORT_COLUMNS as readonly string[]).includes(column));

function checkHeader(header: string[]): string[] {
  const known = new Map([...IMPORT_COLUMNS, ...EXPORT_ONLY_COLUMNS].map((column) => [column.toLowerCase(), column]));
  const columns = header.map((name) => name.trim());
  const unknown = columns.filter((name) => !known.has(name.toLowerCase()));
  // Separated by something else, the header reads as one column: say so, rather than call it unknown.
  if (columns.length === 1 && /[\t|]/.test(columns[0]!)) {
    const separator = columns[0]!.includes('\t') ? 'tabs' : 'vertical bars (|)';
    throw fail('CSV_DELIMITER_UNSUPPORTED', { separator });
  }
  if (unknown.length > 0) {
    throw fail('CSV_UNKNOWN_COLUMNS', { columns: unknown.map((name) => `"${name.slice(0, 50)}"`).join(', '), known: IMPORT_COLUMNS.join(',') });
  }
  const named = columns.map((name) => known.get(name.toLowerCase())!);
  const repeated = named.filter((name, index) => named.indexOf(name) !== index);
  if (repeated.length > 0) throw fail('CSV_COLUMN_REPEATED', { column: repeated[0]! });
  const missing = REQUIRED_COLUMNS.filter((column) => !named.includes(column));
  if (missing.length > 0) throw fail('CSV_MISSING_COLUMNS', { missing: missing.join(' and '), IMPORT_COLUMNS: IMPORT_COLUMNS.join(',') });
  return named;
}

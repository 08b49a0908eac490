import { stringify } from 'csv-stringify/sync';
import { neutraliseFormula } from './csv.ts';

/** The file formats of an export: CSV (a spreadsheet), one JSON document, or JSON Lines (one object per line, for pipelines). */
export const EXPORT_FORMATS = ['csv', 'json', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The UTF-8 byte-order mark a CSV export may start with, for Excel (see withByteOrderMark). */
export const BYTE_ORDER_MARK = '\uFEFF';

/** How many rows an export reads per statement: each batch is its own short query, never one long transaction. */
export const EXPORT_BATCH_SIZE = 1000;

/** Turns a row into the text of each CSV column (null: an empty cell). */
export type CsvCells<Row, Column extends string> = (row: Row) => Record<Column, string | null>;

/**
 * Writes rows out as they are read, a batch at a time, never holding more than one batch:
 * CSV under a header (every text cell made safe to open in a spreadsheet, lines ending CRLF),
 * `{"items":[…]}`, or one JSON object per line. The text is the same as writing every row at
 * once would give.
 */
export async function* encodeExport<Row, Column extends string>(
  format: ExportFormat,
  columns: readonly Column[],
  batches: AsyncIterable<Row[]>,
  cells: CsvCells<Row, Column>,
): AsyncGenerator<string> {
  if (format === 'csv') yield stringify([[...columns]], { record_delimiter: 'windows' });
  if (format === 'json') yield '{"items":[';
  let first = true;
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    if (format === 'csv') {
      yield stringify(
        batch.map((row) => {
          const record = cells(row);
          return columns.map((column) => neutraliseFormula(record[column] ?? ''));
        }),
        { record_delimiter: 'windows' },
      );
    } else if (format === 'json') {
      yield (first ? '' : ',') + batch.map((row) => JSON.stringify(row)).join(',');
    } else {
      yield batch.map((row) => `${JSON.stringify(row)}\n`).join('');
    }
    first = false;
  }
  if (format === 'json') yield ']}';
}

/**
 * Reads a keyset-ordered source in batches of `size`, each batch one call of `read` given the
 * last key of the previous one, until a batch comes back short. Lazy: nothing is read before
 * the first batch is asked for, and a batch only when the previous one has been taken.
 */
export async function* inBatches<Row>(read: (after: Row | undefined, size: number) => Promise<Row[]>, size: number = EXPORT_BATCH_SIZE): AsyncGenerator<Row[]> {
  for (let last: Row | undefined; ; ) {
    const batch = await read(last, size);
    yield batch;
    if (batch.length < size) return;
    last = batch.at(-1);
  }
}

/** The export format asked for in an Accept header, when it names one (JSON Lines or CSV); `application/json` alone doesn't (every API client sends it). */
export function exportFormatOfAccept(accept: string | undefined): ExportFormat | undefined {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  if (types.some((type) => type === 'application/jsonl' || type === 'application/x-ndjson' || type === 'application/x-jsonlines')) return 'jsonl';
  if (types.includes('text/csv')) return 'csv';
  return undefined;
}

export const exportContentType: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

/** Human output: aligned tables and "key: value" blocks. Machine output (--json) is the API's objects, unchanged. */

export interface Column<Row> {
  header: string;
  value(row: Row): unknown;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatValue).join(', ');
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return `${value.slice(0, 10)} ${value.slice(11, 16)}Z`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => formatValue(column.value(row)).replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => line[index]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => (index === values.length - 1 ? value : value.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n');
}

export function renderDetails(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 1;
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)} ${formatValue(value)}`).join('\n');
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], empty = 'Nothing to show.'): void {
  printLine(rows.length === 0 ? empty : renderTable(rows, columns));
}

/** A message for the person reading (progress, hints): on stderr, so stdout can be piped. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

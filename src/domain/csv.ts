import { stringify } from 'csv-stringify/sync';

// A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection");
// exports neutralise it with a leading apostrophe, which imports take off again.
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function restoreFormula(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

/** Writes rows under a header, every text cell made safe to open in a spreadsheet. */
export function toCsv<Column extends string>(columns: readonly Column[], rows: Record<Column, string | null>[]): string {
  return stringify(
    rows.map((row) => columns.map((column) => neutraliseFormula(row[column] ?? ''))),
    { header: true, columns: [...columns], record_delimiter: 'windows' },
  );
}

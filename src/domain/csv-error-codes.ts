import { defineErrorCodes } from './errors.ts';

/** The csv concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const csvErrorCodes = defineErrorCodes({
  CSV_COLUMN_REPEATED: { kind: 'invalid', message: 'Column "{column}" appears twice in the header.' },
  CSV_DELIMITER_UNSUPPORTED: { kind: 'invalid', message: 'This file is separated by {separator}; Sophon reads CSV separated by commas (or semicolons): save it from Excel as "CSV UTF-8 (Comma delimited)".' },
  CSV_EMPTY: { kind: 'invalid', message: 'The file has a header but no users.' },
  CSV_ENCODING_UNKNOWN: { kind: 'invalid', message: '"{encoding}" is not a character encoding; send the file as utf-8 (the default) or say windows-1252 for Excel\'s "CSV (Comma delimited)".' },
  CSV_INVALID: { kind: 'invalid', message: 'The file is not valid CSV{line}: {replace}.' },
  CSV_MISSING_COLUMNS: { kind: 'invalid', message: 'The header must name {missing}; the columns are {IMPORT_COLUMNS}.' },
  CSV_NOT_DECODABLE: { kind: 'invalid', message: 'The file is not {sniffed} text; save it as "CSV UTF-8 (Comma delimited)".' },
  CSV_NOT_UTF8: { kind: 'invalid', message: 'The file is not UTF-8 text: line {line} has the byte 0x{byte} ("{asWindows1252}" in Windows-1252){after}, which UTF-8 doesn\'t use there. Excel\'s "CSV (Comma delimited)" saves Windows-1252: save the file as "CSV UTF-8 (Comma delimited)" instead, or import it as windows-1252.' },
  CSV_TOO_MANY_ROWS: { kind: 'invalid', message: 'The file has {records} users; import at most {MAX_IMPORT_ROWS} at a time (the CLI splits larger files for you).' },
  CSV_UNKNOWN_COLUMNS: { kind: 'invalid', message: 'Unknown column(s) {columns}; the columns are {known} (an export\'s other columns are read past).' },
});

import { stringify } from 'csv-stringify/sync';
import { fail } from './error-catalogue.ts';

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

const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The text with a UTF-8 byte-order mark first: how Excel tells a CSV file is UTF-8, and so
 * shows "René" rather than "RenÃ©". Imports take the mark off again.
 */
export function withByteOrderMark(csv: string): string {
  return csv.startsWith(BYTE_ORDER_MARK) ? csv : BYTE_ORDER_MARK + csv;
}

/** The WHATWG name of an encoding label (`latin1` → `windows-1252`), or undefined when no such encoding exists. */
export function encodingNamed(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

/**
 * Reads the bytes of a CSV file as text: UTF-8, or the encoding named (windows-1252 is what
 * Excel's plain "CSV (Comma delimited)" writes; `latin1` and `iso-8859-1` mean the same to
 * every browser). A byte-order mark at the start decides over the name, as in a browser, and
 * is taken off. Bytes that aren't text in that encoding refuse the file, naming the line,
 * rather than turning "René" into "Ren\uFFFD".
 */
export function decodeCsv(bytes: Uint8Array, encoding = 'utf-8'): string {
  const named = encodingNamed(encoding);
  if (!named) {
    throw fail('CSV_ENCODING_UNKNOWN', { encoding: encoding.slice(0, 40) });
  }
  const sniffed = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8' : bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : named;
  try {
    // TextDecoder takes off the byte-order mark of the encoding it reads.
    return new TextDecoder(sniffed, { fatal: true }).decode(bytes);
  } catch {
    if (sniffed !== 'utf-8') throw fail('CSV_NOT_DECODABLE', { sniffed }, { encoding: sniffed });
    throw notUtf8(firstInvalidUtf8(bytes));
  }
}

function notUtf8({ line, byte, before }: { line: number; byte: number; before: string }) {
  const asWindows1252 = new TextDecoder('windows-1252').decode(Uint8Array.of(byte));
  return fail('CSV_NOT_UTF8', { line, byte: byte.toString(16).toUpperCase().padStart(2, '0'), asWindows1252, after: before ? ` after "${before}"` : '' }, { line });
}

// What a line may hold for the message about a byte that isn't UTF-8 (a row is at most 64 KiB).
const MAX_LINE_BYTES = 64 * 1024;

/**
 * decodeCsv for a file that arrives in pieces (a streamed request body): the same encodings,
 * byte-order marks and refusals, naming the same line, without holding the file whole.
 */
export async function* decodeCsvStream(chunks: AsyncIterable<Uint8Array>, encoding = 'utf-8'): AsyncGenerator<string> {
  const named = encodingNamed(encoding);
  if (!named) {
    throw fail('CSV_ENCODING_UNKNOWN', { encoding: encoding.slice(0, 40) });
  }
  let decoder: TextDecoder | undefined;
  let sniffed = named;
  let head: Uint8Array = new Uint8Array(0);
  // The bytes of the line being read and the number of that line, for the message about a byte that isn't text.
  let tail: Uint8Array = new Uint8Array(0);
  let lineOfTail = 1;
  const refuse = (bytes: Uint8Array) => {
    if (sniffed !== 'utf-8') return fail('CSV_NOT_DECODABLE', { sniffed }, { encoding: sniffed });
    const found = firstInvalidUtf8(Buffer.concat([tail, bytes]));
    return notUtf8({ ...found, line: lineOfTail + found.line - 1 });
  };
  const feed = function* (bytes: Uint8Array): Generator<string> {
    try {
      const text = decoder!.decode(bytes, { stream: true });
      if (text) yield text;
    } catch {
      throw refuse(bytes);
    }
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline === -1) {
      tail = tail.length < MAX_LINE_BYTES ? Buffer.concat([tail, bytes]) : tail;
    } else {
      for (const byte of bytes) if (byte === 0x0a) lineOfTail += 1;
      tail = bytes.subarray(lastNewline + 1);
    }
  };
  for await (const chunk of chunks) {
    if (!decoder) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) continue;
      sniffed = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 'utf-8' : head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : named;
      decoder = new TextDecoder(sniffed, { fatal: true });
      yield* feed(head);
      continue;
    }
    yield* feed(chunk);
  }
  if (!decoder) {
    decoder = new TextDecoder(named, { fatal: true });
    yield* feed(head);
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw refuse(new Uint8Array(0));
  }
}

/** Where UTF-8 decoding fails: the line (a line feed never occurs inside a UTF-8 sequence), the byte, and the text before it on that line. */
function firstInvalidUtf8(bytes: Uint8Array): { line: number; byte: number; before: string } {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let line = 1, start = 0; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const text = bytes.subarray(start, end === -1 ? bytes.length : end);
    try {
      decoder.decode(text);
    } catch {
      return { line, ...firstInvalidByte(text) };
    }
    if (end === -1) return { line, byte: 0, before: '' };
    start = end + 1;
  }
}

/** The first byte of a line that isn't UTF-8 (the decoder holds a sequence back until it ends, so it is the first byte not yet turned into text), and its cell's text before it. */
function firstInvalidByte(line: Uint8Array): { byte: number; before: string } {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let before = '';
  try {
    for (let at = 0; at < line.length; at++) before += decoder.decode(line.subarray(at, at + 1), { stream: true });
    decoder.decode();
  } catch {
    // found it
  }
  // Said by the start of its cell ("after \"Ren\""): enough to find it, without repeating the rest of the row.
  const cell = before.split(/[,;]/).at(-1)!.replace(/^\s*"/, '').slice(-30);
  return { byte: line[new TextEncoder().encode(before).length] ?? 0, before: cell };
}

import { parse } from 'csv-parse';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { BYTE_ORDER_MARK } from '../domain/export-format.ts';
import type { CliContext } from './context.ts';
import type { Endpoint } from './endpoints.ts';
import type { RequestInput } from './http-client.ts';

export interface ExportTarget {
  /** A file, created readable by you only; without it, standard output. */
  out?: string;
  /** A UTF-8 byte-order mark first (CSV for Excel): added here, so an older server's export gets it too. */
  bom?: boolean;
  /** Count the CSV records that pass (a quoted cell may hold a line break, so not lines). */
  countCsvRecords?: boolean;
  /** JSON Lines from the server, written out as one JSON array (for --json on a terminal or a pipe). */
  jsonLinesAsArray?: boolean;
}

/**
 * Writes an export as it arrives, never holding it whole: server → (count, reshape) → file or
 * standard output. Returns how many records passed when asked to count. The file is written
 * piece by piece; a connection cut midway leaves what arrived and fails, saying so.
 */
export async function downloadExport(context: CliContext, endpoint: Endpoint, input: RequestInput, target: ExportTarget): Promise<{ records: number }> {
  const counted = { records: 0 };
  let finished: Promise<void> = Promise.resolve();
  // Opened once the server has answered with the file: a refusal leaves no empty file behind.
  const open = async (): Promise<Writable> => {
    const sink: Writable = target.out ? createWriteStream(target.out, { mode: 0o600 }) : process.stdout;
    if (target.out) await once(sink, 'open');
    const stages: Transform[] = [];
    if (target.countCsvRecords) stages.push(csvRecordCounter(counted));
    if (target.jsonLinesAsArray) stages.push(jsonLinesToArray(counted));
    if (target.bom) stages.push(prefixed(BYTE_ORDER_MARK));
    if (!target.out) stages.push(endingWithNewline());
    const last = stages.at(-1);
    if (last) stages.reduce((from, to) => from.pipe(to)).pipe(sink, { end: Boolean(target.out) });
    // Done when the file is closed, or when standard output has taken the last piece.
    finished = target.out ? finishedWriting(sink) : last ? once(last, 'end').then(() => undefined) : Promise.resolve();
    finished.catch(() => undefined);
    return stages[0] ?? sink;
  };
  await context.download(endpoint, input, open);
  await finished;
  return counted;
}

function finishedWriting(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once('finish', resolve);
    sink.once('error', reject);
  });
}

/** Passes the bytes on, counting the CSV records among them (the header is not one). */
function csvRecordCounter(counted: { records: number }): Transform {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true });
  let seen = 0;
  parser.on('readable', () => {
    while (parser.read() !== null) seen += 1;
  });
  return new Transform({
    transform(chunk, _encoding, done) {
      parser.write(chunk);
      done(null, chunk);
    },
    flush(done) {
      parser.once('end', () => {
        counted.records = Math.max(0, seen - 1);
        done();
      });
      parser.once('error', done);
      parser.end();
    },
  });
}

/** JSON Lines in, one JSON array out (an object per line, two spaces in), counting the objects. */
function jsonLinesToArray(counted: { records: number }): Transform {
  let partial = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      done(null, lines.filter((line) => line.trim() !== '').map((line) => `${counted.records++ === 0 ? '[\n  ' : ',\n  '}${line}`).join(''));
    },
    flush(done) {
      const last = partial.trim() === '' ? '' : `${counted.records++ === 0 ? '[\n  ' : ',\n  '}${partial}`;
      done(null, `${last}${counted.records === 0 ? '[]' : '\n]'}`);
    },
  });
}

function prefixed(prefix: string): Transform {
  let started = false;
  return new Transform({
    transform(chunk, _encoding, done) {
      done(null, started ? chunk : Buffer.concat([Buffer.from(prefix), chunk]));
      started = true;
    },
    flush(done) {
      done(null, started ? undefined : prefix);
    },
  });
}

/** On a terminal, the output ends with a line break. */
function endingWithNewline(): Transform {
  let last = -1;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (chunk.length > 0) last = chunk[chunk.length - 1]!;
      done(null, chunk);
    },
    flush(done) {
      done(null, last === 0x0a ? undefined : '\n');
    },
  });
}

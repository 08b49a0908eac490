import { describe, expect, it } from 'vitest';
import { parseImportCsv } from '../../domain/users/user-csv.ts';
import { batchesOf } from './admin-users-csv.ts';

describe('splitting a CSV import into batches', () => {
  it('sends a file within the limit as it is', () => {
    const text = 'email,displayName\n\n   \na@example.test,A\n';
    expect(batchesOf(text, 'small.csv')).toEqual([{ csv: text, lines: undefined }]);
  });

  it('re-writes a bigger file so the server reads every row as written, and knows its line in the file', () => {
    const rows = Array.from({ length: 1500 }, (_, index) => `user${index}@example.test,"Name\n${index}",Viewer,,"  spaced pass ${index}  "`);
    rows.splice(700, 0, '   '); // a blank line the server skips too
    const batches = batchesOf(`email,displayName,role,tenant,password\n${rows.join('\n')}\n`, 'big.csv');
    expect(batches.map((batch) => batch.lines?.length)).toEqual([1000, 500]);

    const read = batches.flatMap((batch) => parseImportCsv(batch.csv).map((row, index) => ({ ...row.input, line: batch.lines![index] })));
    expect(read).toHaveLength(1500);
    expect(read[0]).toEqual({ email: 'user0@example.test', displayName: 'Name\n0', role: 'Viewer', password: '  spaced pass 0  ', line: 3 });
    // Each row spans two lines; past the blank line, one more.
    expect(read[1200]).toMatchObject({ email: 'user1200@example.test', password: '  spaced pass 1200  ', line: 2 + 2 * 1200 + 1 + 1 });
  });

  it('reads a file separated by semicolons as the server does, and re-writes its batches with commas', () => {
    const rows = Array.from({ length: 1001 }, (_, index) => `user${index}@example.test;Dupont, ${index};Viewer`);
    const batches = batchesOf(`email;displayName;role\n${rows.join('\n')}\n`, 'semicolons.csv');
    expect(batches.map((batch) => batch.lines?.length)).toEqual([1000, 1]);
    expect(parseImportCsv(batches[1]!.csv)).toEqual([{ line: 2, input: { email: 'user1000@example.test', displayName: 'Dupont, 1000', role: 'Viewer' } }]);
    expect(batches[1]!.lines).toEqual([1002]);
  });

  it('refuses a file with a row of the wrong width before sending anything', () => {
    const rows = Array.from({ length: 1001 }, (_, index) => `user${index}@example.test,User ${index}`);
    rows[1000] = 'short-row';
    expect(() => batchesOf(`email,displayName\n${rows.join('\n')}\n`, 'ragged.csv')).toThrow(/ragged\.csv is not valid CSV/);
  });
});

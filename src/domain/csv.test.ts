import { describe, expect, it } from 'vitest';
import { decodeCsv, withByteOrderMark } from './csv.ts';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('reading the bytes of a CSV file', () => {
  it('reads UTF-8, taking off a byte-order mark', () => {
    expect(decodeCsv(Buffer.from('\uFEFFemail,displayName\nr@x.test,René\n'))).toBe('email,displayName\nr@x.test,René\n');
  });

  it('refuses bytes that are not UTF-8, naming the line, the byte and the start of its cell', () => {
    const file = latin1('email,displayName\r\n\r\nr@x.test,"Ren\xe9 Dupont"\r\n');
    expect(() => decodeCsv(file)).toThrow(expect.objectContaining({ code: 'CSV_NOT_UTF8', details: { line: 3 } }));
    expect(() => decodeCsv(file)).toThrow('line 3 has the byte 0xE9 ("é" in Windows-1252) after "Ren"');
    // A sequence cut off by the end of the file, or by the end of its line.
    expect(() => decodeCsv(Buffer.from([0x61, 0xc3]))).toThrow(/line 1 has the byte 0xC3 \("Ã" in Windows-1252\) after "a"/);
    expect(() => decodeCsv(Buffer.from([0x61, 0xc3, 0x0a, 0x62]))).toThrow(/line 1 has the byte 0xC3/);
  });

  it('reads Windows-1252 when told, by any of its names, with what only it has (€, ’)', () => {
    const file = latin1('Ren\xe9 O\x92Brien \x80');
    for (const name of ['windows-1252', 'Windows-1252', 'cp1252', 'latin1', 'iso-8859-1']) expect(decodeCsv(file, name)).toBe('René O’Brien €');
  });

  it('lets a byte-order mark decide over the encoding named, as a browser does', () => {
    expect(decodeCsv(Buffer.from('\uFEFFZoë'), 'windows-1252')).toBe('Zoë');
    expect(decodeCsv(Buffer.from('\uFEFFemail\tdisplayName', 'utf16le'))).toBe('email\tdisplayName');
  });

  it('refuses an encoding that does not exist', () => {
    expect(() => decodeCsv(Buffer.from('a'), 'klingon')).toThrow(expect.objectContaining({ code: 'CSV_ENCODING_UNKNOWN' }));
  });

  it('puts one byte-order mark before an export, never two', () => {
    expect(withByteOrderMark('a,b\r\n')).toBe('\uFEFFa,b\r\n');
    expect(withByteOrderMark(withByteOrderMark('a'))).toBe('\uFEFFa');
  });
});

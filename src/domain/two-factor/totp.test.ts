import { describe, expect, it } from 'vitest';
import { Authenticator, hotp } from '../../../test/support/authenticator.ts';
import { generateTotp, matchTotp, newTotpSecret, otpauthUri, SECRET_BYTES, timeStepAt } from './totp.ts';

// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to 20, 32 and 64 bytes.
const seeds = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;

const vectors: [seconds: number, sha1: string, sha256: string, sha512: string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP against RFC 6238', () => {
  describe.each(['SHA1', 'SHA256', 'SHA512'] as const)('%s', (algorithm) => {
    const column = { SHA1: 1, SHA256: 2, SHA512: 3 }[algorithm];
    it.each(vectors)('gives the RFC code at T=%i', (seconds, ...codes) => {
      const expected = codes[column - 1]!;
      expect(generateTotp(seeds[algorithm], seconds * 1000, { algorithm, digits: 8 })).toBe(expected);
      // …and so does the independent implementation the tests use as an authenticator app.
      expect(hotp(seeds[algorithm], Math.floor(seconds / 30), 8, algorithm.toLowerCase() as 'sha1')).toBe(expected);
      expect(matchTotp(seeds[algorithm], expected, seconds * 1000, { algorithm, digits: 8 })).toBe(Math.floor(seconds / 30));
    });
  });
});

describe('TOTP as the server uses it', () => {
  const now = Date.parse('2026-03-01T12:00:10Z');

  it('makes 160-bit secrets from the CSPRNG, all different', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newTotpSecret().toString('hex')));
    expect(secrets.size).toBe(50);
    expect(newTotpSecret().length).toBe(SECRET_BYTES);
    expect(SECRET_BYTES * 8).toBeGreaterThanOrEqual(160);
  });

  it('writes an otpauth URI an independent authenticator scans into the same codes', () => {
    const secret = newTotpSecret();
    const uri = otpauthUri(secret, 'Sophon', 'alice@example.test');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Sophon:alice%40example\.test\?/);
    const app = Authenticator.scan(uri);
    expect(app.issuer).toBe('Sophon');
    expect(app.account).toBe('alice@example.test');
    expect(app.secret.equals(secret)).toBe(true);
    expect(app.codeAt(now)).toBe(generateTotp(secret, now));
    expect(matchTotp(secret, app.codeAt(now), now)).toBe(timeStepAt(now));
  });

  it('accepts one step of drift each way and no more', () => {
    const secret = newTotpSecret();
    const app = new Authenticator({ secret });
    const step = timeStepAt(now);
    expect(matchTotp(secret, app.codeAt(now - 30_000), now)).toBe(step - 1);
    expect(matchTotp(secret, app.codeAt(now + 30_000), now)).toBe(step + 1);
    expect(matchTotp(secret, app.codeAt(now - 60_000), now)).toBeNull();
    expect(matchTotp(secret, app.codeAt(now + 60_000), now)).toBeNull();
  });

  it('refuses malformed codes', () => {
    const secret = newTotpSecret();
    for (const code of ['', '12345', '1234567', 'abcdef', '12 34 5x']) expect(matchTotp(secret, code, now)).toBeNull();
    const code = new Authenticator({ secret }).codeAt(now);
    expect(matchTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(timeStepAt(now));
  });
});

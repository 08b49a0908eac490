import { describe, expect, it } from 'vitest';
import type { DomainError } from '../errors.ts';
import { parseDuration } from './duration.ts';

describe('token lifetimes', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['365d', 365 * 86_400_000],
    [' 7d ', 7 * 86_400_000],
  ])('read %j', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each(['0d', '1y', '1.5d', '-1d', 'd', '', '1 d', '10000000d', '1D'])('refuse %j, naming the field', (text) => {
    try {
      parseDuration(text, 'expiresIn');
      throw new Error('accepted');
    } catch (error) {
      expect((error as DomainError).code).toBe('DURATION_INVALID');
      expect((error as DomainError).message).toContain('expiresIn');
    }
  });
});

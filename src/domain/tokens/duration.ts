import { fail } from '../error-catalogue.ts';

const units = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Durations as the CLI and API take them: `90m`, `12h`, `30d`, `365d`. Returns milliseconds. */
export function parseDuration(text: string, field = 'duration'): number {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!match) throw fail('DURATION_INVALID', { field, problem: `"${text}" is not a duration` });
  const amount = Number(match[1]);
  if (amount === 0) throw fail('DURATION_INVALID', { field, problem: 'must be longer than zero' });
  return amount * units[match[2] as keyof typeof units];
}

import { InvalidArgumentError } from 'commander';
import { allPermissions } from '../domain/permissions.ts';
import { parseDuration } from '../domain/tokens/duration.ts';

/** `30d`, `365d`, `12h`, `90m`: checked here, sent to the API as written. */
export function durationArgument(value: string): string {
  try {
    parseDuration(value, 'the duration');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value.trim();
}

/** An ISO time (`2026-01-31`, `2026-01-31T12:00:00Z`) or a duration meaning "that long ago" (`7d`). */
export function timeArgument(value: string, now: () => Date = () => new Date()): string {
  const text = value.trim();
  if (/^\d+[mhd]$/.test(text)) return new Date(now().getTime() - parseDuration(text)).toISOString();
  const time = /^\d{4}-\d\d-\d\d$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(time)) {
    throw new InvalidArgumentError(`"${value}" is not a time: use an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or how long ago (90m, 12h, 7d).`);
  }
  return new Date(time).toISOString();
}

export function positiveIntegerArgument(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number.`);
  return number;
}

const catalogue = new Map(allPermissions.map((permission) => [permission.toLowerCase(), permission]));

/**
 * `--permission` given repeatedly and/or as a comma list; names from the catalogue are
 * spelled as the catalogue does (`viewusers` → ViewUsers), others are left for the server to refuse.
 */
export function collectPermissions(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
    .map((name) => catalogue.get(name.toLowerCase()) ?? name);
  if (names.length === 0) throw new InvalidArgumentError('give at least one permission name.');
  return [...new Set([...previous, ...names])];
}

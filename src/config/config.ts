import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseTimeSpan } from './timespan.ts';

/**
 * Configuration: `appsettings.json` (the seed's `{"Sophon": {...}}` shape) from the
 * working directory or $SOPHON_CONFIG, overridden by environment variables in the .NET
 * convention (`Sophon__Auth__IdleTimeout=04:00:00`), validated once at start. Unknown
 * keys are errors, so a typo can't silently fall back to a default.
 */

const timeSpan = z.string().transform((text, context) => {
  const parsed = parseTimeSpan(text);
  if (!parsed.ok) {
    context.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  if (parsed.milliseconds <= 0) {
    context.addIssue({ code: 'custom', message: 'must be longer than zero' });
    return z.NEVER;
  }
  return parsed.milliseconds;
});

// Environment variables are strings: accept "12" for numbers and "true" for booleans.
const integer = (min: number, max: number) => z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), z.number().int().min(min).max(max));
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

const settingsSchema = z
  .object({
    Sophon: z
      .object({
        Auth: z
          .object({
            IdleTimeout: timeSpan.prefault('08:00:00'),
            AbsoluteTimeout: timeSpan.prefault('7.00:00:00'),
            CookieSecure: flag.prefault(false),
            Password: z.object({ MinLength: integer(8, 64).prefault(12) }).strict().prefault({}),
            InitialPasswordLifetime: timeSpan.prefault('7.00:00:00'),
            InvitationLifetime: timeSpan.prefault('7.00:00:00'),
            PasswordResetLifetime: timeSpan.prefault('01:00:00'),
          })
          .strict()
          .prefault({}),
        PublicUrl: z.url({ protocol: /^https?$/ }).prefault('http://127.0.0.1:8080'),
        Smtp: z
          .object({
            Host: z.string().min(1),
            Port: integer(1, 65535).prefault(587),
            Tls: z.enum(['none', 'starttls', 'tls']).prefault('starttls'),
            From: z.string().min(3),
            Username: z.string().optional(),
            Password: z.string().optional(),
          })
          .strict()
          .optional(),
        Rbac: z
          .object({ MaxCustomRolesPerTenant: integer(1, 100_000).prefault(100) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AppSettings = z.output<typeof settingsSchema>;

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  bootstrapAdminEmail: string;
  settings: AppSettings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Sets `Sophon__A__B=value` into the object as Sophon.A.B, matching keys case-insensitively as .NET does. */
function applyEnvironmentOverrides(settings: Record<string, unknown>, environment: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(environment)) {
    if (!name.toLowerCase().startsWith('sophon__') || value === undefined) continue;
    const keys = name.split('__');
    let node = settings;
    keys.forEach((key, index) => {
      const existing = Object.keys(node).find((candidate) => candidate.toLowerCase() === key.toLowerCase()) ?? key;
      if (index === keys.length - 1) {
        node[existing] = value;
      } else {
        if (typeof node[existing] !== 'object' || node[existing] === null) node[existing] = {};
        node = node[existing] as Record<string, unknown>;
      }
    });
  }
}

function canonicalizeRoot(settings: Record<string, unknown>): void {
  // .NET matches section names case-insensitively; so does the env override above for "sophon__".
  for (const key of Object.keys(settings)) {
    if (key !== 'Sophon' && key.toLowerCase() === 'sophon') {
      settings.Sophon = { ...(settings.Sophon as object), ...(settings[key] as object) };
      delete settings[key];
    }
  }
}

export function loadAppSettings(environment: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AppSettings {
  const file = environment.SOPHON_CONFIG ? path.resolve(cwd, environment.SOPHON_CONFIG) : path.join(cwd, 'appsettings.json');
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file} must hold a JSON object like {"Sophon": {...}}`);
  } else if (environment.SOPHON_CONFIG) {
    throw new ConfigError(`SOPHON_CONFIG names ${file}, which does not exist`);
  }
  applyEnvironmentOverrides(raw, environment);
  canonicalizeRoot(raw);
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = [...issue.path, ...('keys' in issue ? [(issue.keys as string[]).join(', ')] : [])].join(':');
      return `  ${key}: ${issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message}`;
    });
    throw new ConfigError(`invalid configuration (${existsSync(file) ? file : 'environment'}):\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export function loadServerConfig(environment: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  const port = Number(environment.SOPHON_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`SOPHON_PORT: "${environment.SOPHON_PORT}" is not a port number`);
  return {
    host: environment.SOPHON_HOST ?? '127.0.0.1',
    port,
    dataDir: path.resolve(cwd, environment.SOPHON_DATA_DIR ?? 'data'),
    databaseUrl: environment.SOPHON_DATABASE_URL || undefined,
    bootstrapAdminEmail: environment.SOPHON_BOOTSTRAP_ADMIN_EMAIL ?? 'admin@sophon.local',
    settings: loadAppSettings(environment, cwd),
  };
}

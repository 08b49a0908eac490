import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_ID_TOKEN_ALGORITHMS, ID_TOKEN_ALGORITHMS } from '../domain/sso/id-token-signature.ts';
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

/** A brute-force detector (Keycloak's settings): failures before waiting, the wait per step, its cap, and when the count resets. */
const detector = (defaults: { FailureFactor: number; WaitIncrement: string; MaxWait: string; FailureResetTime: string }) => ({
  FailureFactor: integer(1, 1000).prefault(defaults.FailureFactor),
  WaitIncrement: timeSpan.prefault(defaults.WaitIncrement),
  MaxWait: timeSpan.prefault(defaults.MaxWait),
  FailureResetTime: timeSpan.prefault(defaults.FailureResetTime),
});

/** 32 random bytes in base64 (`openssl rand -base64 32`). */
const encryptionKey = z.string().refine((text) => /^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) && Buffer.from(text.trim(), 'base64').length === 32, {
  message: 'must be 32 random bytes in base64, e.g. the output of "openssl rand -base64 32"',
});

/**
 * An OpenID Provider's issuer: https, or http only on a loopback address (a provider on the same
 * machine, as in tests); discovery reads `<Issuer>/.well-known/openid-configuration`.
 */
const issuerUrl = z.string().superRefine((text, context) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: 'custom', message: `"${text}" is not a URL; give the provider's issuer, e.g. "https://login.example.com/realms/acme"` });
    return;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    context.addIssue({ code: 'custom', message: `"${text}" must be an https:// URL (http:// is accepted only for a loopback address)` });
  }
  if (url.search || url.hash) context.addIssue({ code: 'custom', message: `"${text}" must not have a query or a fragment` });
});

/** The same rule as role names (src/domain/roles/role.ts): a mapping can't name a role that could never exist. */
const roleReference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/, 'must be a role name: 1-63 letters, digits, spaces, dots, hyphens or underscores');

/**
 * IdP group → Sophon role, evaluated in the order written (first match wins). JavaScript keeps
 * the order of object keys except integer-like ones ("42"), which it moves first; so those are refused.
 */
const roleMappings = z.record(z.string().min(1).max(256), roleReference).superRefine((mappings, context) => {
  for (const group of Object.keys(mappings)) {
    if (/^(0|[1-9]\d*)$/.test(group)) {
      context.addIssue({ code: 'custom', path: [group], message: `group "${group}" looks like a number, whose place in the order can't be kept; numeric group ids are not supported` });
    }
  }
});

/**
 * Email domains allowed to sign in through SSO: a JSON array in appsettings.json, or in an
 * environment variable a comma-separated string ("corp.example,example.org") or the .NET array
 * convention (`…__AllowedEmailDomains__0`); lower-cased, each a plain domain name.
 */
const emailDomains = z.preprocess(
  listFromEnvironment,
  z
    .array(
      z
        .string()
        .transform((domain) => domain.trim().toLowerCase())
        .pipe(z.string().regex(/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/, 'must be a domain name such as "example.com" (no "@", no wildcard)')),
    )
    .max(1000),
);

/**
 * A list setting: a JSON array in appsettings.json; in an environment variable a JSON array, a
 * comma-separated string, or the .NET array convention (`…__Name__0`, `…__1`, which arrive as an
 * object with index keys).
 */
function listFromEnvironment(value: unknown): unknown {
  if (typeof value === 'string') return value.trim().startsWith('[') ? safeJson(value) : value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).every((key) => /^\d+$/.test(key))) return Object.values(value);
  return value;
}

/**
 * The JWS algorithms an ID token may be signed with, matched case-insensitively to their JWA
 * names; public-key ones only: `none` and the HMAC algorithms are refused at start.
 */
const idTokenAlgorithms = z.preprocess(
  listFromEnvironment,
  z
    .array(
      z.string().transform((name, context) => {
        const known = ID_TOKEN_ALGORITHMS.find((algorithm) => algorithm.toLowerCase() === name.trim().toLowerCase());
        if (known) return known;
        const never = /^(none|HS\d+)$/i.test(name.trim());
        context.addIssue({
          code: 'custom',
          message: never
            ? `"${name}" is never accepted: an ID token must carry a public-key signature Sophon verifies against the provider's JWKS (one of ${ID_TOKEN_ALGORITHMS.join(', ')})`
            : `"${name}" is not an algorithm Sophon can verify; use ${ID_TOKEN_ALGORITHMS.join(', ')}`,
        });
        return z.NEVER;
      }),
    )
    .min(1, 'must name at least one algorithm'),
);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const sso = z
  .object({
    Enabled: flag.prefault(false),
    Issuer: issuerUrl.optional(),
    ClientId: z.string().min(1).max(255).optional(),
    /** Absent: a public client (PKCE only, token_endpoint_auth_method "none"). */
    ClientSecret: z.string().min(1).max(1000).optional(),
    Scopes: z
      .string()
      .prefault('openid email profile')
      .refine((scopes) => scopes.split(/\s+/).includes('openid'), { message: 'must include "openid"' })
      .refine((scopes) => /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(scopes.trim()), { message: 'must be scope names separated by single spaces' })
      .transform((scopes) => scopes.trim()),
    /** The claim holding the user's groups; a dotted path reaches into an object ("realm_access.roles"). */
    GroupClaim: z.string().min(1).max(200).prefault('groups'),
    RoleMappings: roleMappings.prefault({}),
    /** The tenant the mapped roles apply in, and the home of users SSO creates. */
    Tenant: z
      .string()
      .transform((slug) => slug.toLowerCase())
      .pipe(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a tenant slug: 1-63 lowercase letters, digits and hyphens'))
      .prefault('default'),
    AutoCreateUsers: flag.prefault(true),
    /** The role when no mapping matches; absent: such a login is refused. */
    DefaultRole: roleReference.optional(),
    ButtonLabel: z.string().trim().min(1).max(100).prefault('Sign in with SSO'),
    /** Treat the provider's email as verified even without `email_verified: true` (for providers that never send it). */
    TrustEmail: flag.prefault(false),
    /** Sent as `max_age`: the provider re-authenticates older logins, and the session ends by auth_time + MaxAge. */
    MaxAge: timeSpan.optional(),
    /** The session ends when the ID token expires (its `exp`). */
    SessionEndsWithIdToken: flag.prefault(true),
    /**
     * Link an identity to the existing account with its verified email (homed in Tenant only),
     * retiring that account's earlier credentials. Off: such a sign-in is refused (SSO_ACCOUNT_EXISTS).
     */
    LinkExistingAccountsByEmail: flag.prefault(false),
    /** Only verified emails at these domains may sign in (SSO_EMAIL_DOMAIN_NOT_ALLOWED); empty: any. */
    AllowedEmailDomains: emailDomains.prefault([]),
    /** ID tokens signed otherwise are refused (SSO_TOKEN_INVALID); narrowed at discovery to what the provider offers. */
    IdTokenAlgorithms: idTokenAlgorithms.prefault([...DEFAULT_ID_TOKEN_ALGORITHMS]),
  })
  .strict()
  .superRefine((settings, context) => {
    if (!settings.Enabled) return;
    if (settings.Issuer === undefined) context.addIssue({ code: 'custom', path: ['Issuer'], message: 'is required when Sso:Enabled is true' });
    if (settings.ClientId === undefined) context.addIssue({ code: 'custom', path: ['ClientId'], message: 'is required when Sso:Enabled is true' });
  });

/** pino's levels; `silent` turns request logs off (Sophon:Logging:Level, docs/operations.md). */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const logLevel = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}` }),
);

/** "host:port" for a listener: "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" (port 0: any free port). */
const listenAddress = z.string().transform((text, context) => {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    context.addIssue({ code: 'custom', message: `"${text}" must be "host:port", e.g. "127.0.0.1:9464" or "[::1]:9464"` });
    return z.NEVER;
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
});

const tenantAuth = z
  .object({ IdleTimeout: timeSpan.optional(), AbsoluteTimeout: timeSpan.optional(), RequireTwoFactor: flag.optional() })
  .strict();

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
            RequireTwoFactor: flag.prefault(false),
            TwoFactor: z
              .object({ EncryptionKey: encryptionKey.optional(), Issuer: z.string().min(1).max(100).prefault('Sophon') })
              .strict()
              .prefault({}),
            // By tenant slug (matched case-insensitively, as the rest of the configuration is).
            Tenants: z
              .record(z.string(), tenantAuth)
              .transform((tenants) => Object.fromEntries(Object.entries(tenants).map(([slug, value]) => [slug.toLowerCase(), value])))
              .prefault({}),
            // Single sign-on through an OpenID Provider (docs/sso.md).
            Sso: sso.prefault({}),
            BruteForce: z
              .object({
                PerAccount: z
                  .object({
                    ...detector({ FailureFactor: 5, WaitIncrement: '00:00:30', MaxWait: '00:05:00', FailureResetTime: '12:00:00' }),
                    // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
                    MaxConsecutiveFailures: integer(1, 100).prefault(100),
                  })
                  .strict()
                  .prefault({}),
                PerIp: z
                  .object(detector({ FailureFactor: 10, WaitIncrement: '00:01:00', MaxWait: '00:15:00', FailureResetTime: '12:00:00' }))
                  .strict()
                  .prefault({}),
                TrustedDeviceLifetime: timeSpan.prefault('90.00:00:00'),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        // Behind a reverse proxy: "true" (any), or its addresses/CIDRs ("10.0.0.1,10.1.0.0/16"); per-IP throttling needs the client's address.
        Http: z
          .object({ TrustProxy: z.union([z.boolean(), z.string().max(1000)]).transform((value) => (value === 'true' ? true : value === 'false' || value === '' ? false : value)).prefault(false) })
          .strict()
          .prefault({}),
        /** Where users reach this server; one-time links point there. Default: the address the server listens on. */
        PublicUrl: z.url({ protocol: /^https?$/ }).optional(),
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
          .object({
            MaxCustomRolesPerTenant: integer(1, 100_000).prefault(100),
            // The longest time-bound role an access request can be approved for (docs/rbac.md), installation-wide…
            MaxElevation: timeSpan.prefault('1.00:00:00'),
            // …and per tenant slug: { "acme": { "MaxElevation": "04:00:00" } }.
            Tenants: z
              .record(z.string(), z.object({ MaxElevation: timeSpan.optional() }).strict())
              .transform((tenants) => Object.fromEntries(Object.entries(tenants).map(([slug, value]) => [slug.toLowerCase(), value])))
              .prefault({}),
          })
          .strict()
          .prefault({}),
        Logging: z
          .object({ Level: logLevel.prefault('info') })
          .strict()
          .prefault({}),
        // GET /metrics needs ViewSystemHealth; Listen adds an unauthenticated listener that serves only /metrics, for a scraper.
        Metrics: z
          .object({ Listen: listenAddress.optional() })
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

/** The keys an object schema knows, through prefault/optional wrappers; none for anything else. */
function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  const def = (schema as { _zod?: { def?: { type?: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType } } } | undefined)?._zod?.def;
  if (def?.type === 'object') return def.shape ?? {};
  return def?.innerType ? shapeOf(def.innerType) : {};
}

/** Sets `Sophon__A__B=value` into the object as Sophon.A.B, matching keys case-insensitively as .NET does. */
function applyEnvironmentOverrides(settings: Record<string, unknown>, environment: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(environment)) {
    if (!name.toLowerCase().startsWith('sophon__') || value === undefined) continue;
    const keys = name.split('__');
    let node = settings;
    let schema: z.ZodType | undefined = settingsSchema;
    keys.forEach((key, index) => {
      // The key as the file spells it, else as the schema does (a section the file leaves out), else as given.
      const shape = shapeOf(schema);
      const sameKey = (candidate: string) => candidate.toLowerCase() === key.toLowerCase();
      const existing = Object.keys(node).find(sameKey) ?? Object.keys(shape).find(sameKey) ?? key;
      schema = shape[existing];
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

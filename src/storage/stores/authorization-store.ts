import { CompiledQuery, type Kysely } from 'kysely';
import type { AuthorizationFacts, AuthorizationQuery, OwnerFacts, PolicyFacts, RoleFacts, SessionFacts, TenantFacts, TokenFacts } from '../../domain/access/authorization-facts.ts';
import type { AuthorizationStore } from '../../domain/access/authorization-store.ts';
import type { Permission } from '../../domain/permissions.ts';
import { GLOBAL_SCOPE } from '../../domain/sessions/authentication-policy.ts';
import type { SessionMethod } from '../../domain/sessions/session.ts';
import type { TwoFactorStatus } from '../../domain/two-factor/two-factor.ts';
import type { UserStatus } from '../../domain/users/user.ts';
import type { Engine } from '../open-database.ts';
import type { Database } from '../schema.ts';
import { SqliteChangeWatch, versionOfRow } from '../sqlite-dialect.ts';
import { AuthorizationCache } from './authorization-cache.ts';
import { SharedEpochRead } from './authorization-epoch.ts';

/**
 * The columns each part reads: only those its checks use (every value read costs decoding on
 * every request), each checked against schema.ts by the compiler.
 */
const columnsOf =
  <T extends keyof Database>() =>
  <const C extends readonly (keyof Database[T] & string)[]>(...columns: C): C =>
    columns;

const tokenColumns = columnsOf<'api_tokens'>()('id', 'user_id', 'token_hash', 'expires_at', 'last_used_at', 'revoked_at');
const sessionColumns = columnsOf<'sessions'>()('id', 'user_id', 'token_hash', 'csrf_hash', 'created_at', 'last_seen_at', 'expires_at', 'ended_at', 'method');
const userColumns = columnsOf<'users'>()('id', 'email', 'home_tenant_id', 'status', 'password_hash', 'must_change_password', 'two_factor_reenrolment_required_at');
const tenantColumns = columnsOf<'tenants'>()('id', 'slug', 'name');
const roleColumns = columnsOf<'roles'>()('id', 'tenant_id', 'name', 'built_in', 'permissions');
const policyColumns = columnsOf<'auth_policies'>()('scope_id', 'require_two_factor', 'idle_timeout_seconds', 'absolute_timeout_seconds');

/**
 * Every column the authorization statement reads, by table (the joins' keys included): what the
 * authorization epoch's triggers (migration 017) must watch, which test/authorization-epoch.test.ts
 * checks against the database. The touch columns are read but not watched (see AuthorizationFacts.kept).
 */
export const AUTHORIZATION_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  api_tokens: tokenColumns,
  sessions: sessionColumns,
  users: userColumns,
  two_factor: ['user_id', 'status'],
  tenants: tenantColumns,
  role_assignments: ['user_id', 'tenant_id', 'role_id'],
  role_elevations: ['user_id', 'tenant_id', 'role_id', 'ends_at'],
  roles: roleColumns,
  auth_policies: policyColumns,
};
export const TOUCH_COLUMNS: Readonly<Record<string, string>> = { api_tokens: 'last_used_at', sessions: 'last_seen_at' };

type TokenRow = Pick<Database['api_tokens'], (typeof tokenColumns)[number]>;
type SessionRow = Pick<Database['sessions'], (typeof sessionColumns)[number]>;
type UserRow = Pick<Database['users'], (typeof userColumns)[number]>;
type TenantRow = Pick<Database['tenants'], (typeof tenantColumns)[number]>;
type RoleRow = Pick<Database['roles'], (typeof roleColumns)[number]>;
type PolicyRow = Pick<Database['auth_policies'], (typeof policyColumns)[number]>;

const toTokenFacts = (row: TokenRow): TokenFacts => ({
  id: row.id,
  userId: row.user_id,
  tokenHash: row.token_hash,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});
const toSessionFacts = (row: SessionRow): SessionFacts => ({
  id: row.id,
  userId: row.user_id,
  tokenHash: row.token_hash,
  csrfHash: row.csrf_hash,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  endedAt: row.ended_at,
  method: row.method as SessionMethod | null,
});
const toOwnerFacts = (row: UserRow): OwnerFacts => ({
  id: row.id,
  email: row.email,
  homeTenantId: row.home_tenant_id,
  status: row.status as UserStatus,
  passwordHash: row.password_hash,
  mustChangePassword: Number(row.must_change_password) === 1,
});
const toTenantFacts = (row: TenantRow): TenantFacts => ({ id: row.id, slug: row.slug, name: row.name });
const toRoleFacts = (row: RoleRow): RoleFacts => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  builtIn: Number(row.built_in) === 1,
  permissions: JSON.parse(row.permissions) as Permission[],
});
const toPolicyFacts = (row: PolicyRow): PolicyFacts => ({
  scopeId: row.scope_id,
  requireTwoFactor: row.require_two_factor === null ? null : Number(row.require_two_factor) === 1,
  idleTimeoutSeconds: row.idle_timeout_seconds === null ? null : Number(row.idle_timeout_seconds),
  absoluteTimeoutSeconds: row.absolute_timeout_seconds === null ? null : Number(row.absolute_timeout_seconds),
});

/** `alias.column as "prefix_column"` for each column. */
const select = (alias: string, prefix: string, columns: readonly string[]) => columns.map((column) => `"${alias}"."${column}" as "${prefix}_${column}"`);

/**
 * The one statement, from the credential's row outwards. Left joins throughout: a missing owner,
 * tenant, role or policy reads as NULL columns, and the domain decides what that means. The acting
 * tenant is the one named (a slug first, then an id, as resolveTenant always did) or the owner's
 * home. Named parameters (:hash, :tenant, :default, :global, :now) become the engine's placeholders once.
 * SQLite's planner takes these fourteen joins in microseconds, each an index search.
 */
function joinedStatement(credential: AuthorizationQuery['credential']): string {
  const table = credential === 'token' ? 'api_tokens' : 'sessions';
  return [
    'select',
    [
      ...select('c', 'c', credential === 'token' ? tokenColumns : sessionColumns),
      ...select('u', 'u', userColumns),
      '"f"."status" as "f_status"',
      '"home"."slug" as "home_slug"',
      ...select('a', 'a', tenantColumns),
      ...select('r', 'r', roleColumns),
      ...select('d', 'd', roleColumns),
      ...select('pg', 'pg', policyColumns),
      ...select('ph', 'ph', policyColumns),
      ...select('pa', 'pa', policyColumns),
      // What the facts are valid for, when a cache keeps them (authorization-cache.ts): the database's
      // change counters, and the ends of the elevations in force, when time alone changes the answer.
      SqliteChangeWatch.COLUMNS,
      '"ea"."ends_at" as "ea_ends_at"',
      '"ed"."ends_at" as "ed_ends_at"',
    ].join(', '),
    `from "${table}" as "c"`,
    'left join "users" as "u" on "u"."id" = "c"."user_id"',
    'left join "two_factor" as "f" on "f"."user_id" = "u"."id"',
    'left join "tenants" as "home" on "home"."id" = "u"."home_tenant_id"',
    `left join "tenants" as "a" on "a"."id" = ${ACTING_TENANT_ID}`,
    'left join "role_assignments" as "ra" on "ra"."tenant_id" = "a"."id" and "ra"."user_id" = "u"."id"',
    `left join "role_elevations" as "ea" on "ea"."tenant_id" = "ra"."tenant_id" and "ea"."user_id" = "ra"."user_id" and ${ELEVATION_IN_FORCE('ea')}`,
    'left join "roles" as "r" on "r"."id" = coalesce("ea"."role_id", "ra"."role_id")',
    'left join "role_assignments" as "rd" on "rd"."tenant_id" = :default and "rd"."user_id" = "u"."id"',
    `left join "role_elevations" as "ed" on "ed"."tenant_id" = "rd"."tenant_id" and "ed"."user_id" = "rd"."user_id" and ${ELEVATION_IN_FORCE('ed')}`,
    'left join "roles" as "d" on "d"."id" = coalesce("ed"."role_id", "rd"."role_id")',
    'left join "auth_policies" as "pg" on "pg"."scope_id" = :global',
    'left join "auth_policies" as "ph" on "ph"."scope_id" = "u"."home_tenant_id"',
    'left join "auth_policies" as "pa" on "pa"."scope_id" = "a"."id"',
    'where "c"."token_hash" = :hash',
  ].join(' ');
}

/**
 * An elevation (a time-bound assignment) grants while the request's `:now`, from the domain's
 * clock, is before its end: the SQL of `elevationInForce` (src/domain/roles/role-elevation.ts).
 * The role in force is the elevation's, else the permanent assignment's, decided here, in the
 * one statement, so an elevation stops granting at the first request after its end.
 */
const ELEVATION_IN_FORCE = (alias: string) => `"${alias}"."ends_at" > :now`;

/** The acting tenant's id: the one named (a slug first, then an id) or the owner's home. */
const ACTING_TENANT_ID = 'coalesce((select "named"."id" from "tenants" as "named" where "named"."slug" = :tenant), :tenant, "u"."home_tenant_id")';

/** A part as a JSON object of its columns, keyed by name (pg parses it). */
const jsonOf = (alias: string, columns: readonly string[], extra = '') => `json_build_object(${columns.map((column) => `'${column}', "${alias}"."${column}"`).join(', ')}${extra})`;

/** The end of the elevation a role is in force through (null for a permanent assignment), beside the role's columns. */
const ELEVATION_END_KEY = 'elevation_ends_at';
const withElevationEnd = (alias: string) => `, '${ELEVATION_END_KEY}', "${alias}"."ends_at"`;

/**
 * The same reads for PostgreSQL, shaped for its planner: twelve joined relations cost it more to
 * plan than to run (join-order search, re-planned for each custom plan of a prepared statement).
 * Two joined tables and one scalar subquery per other part, each a single index lookup planned on
 * its own, with the rows as JSON objects keyed by column name (pg parses them). Same answers.
 *
 * With the authorization epoch (migration 017) beside them, read in the same snapshot: the version
 * the facts are kept at (see KeptAuthorizations).
 */
function subqueryStatement(credential: AuthorizationQuery['credential']): string {
  const table = credential === 'token' ? 'api_tokens' : 'sessions';
  return [
    'select',
    [
      '"e"."version"::text as "v_epoch"',
      `${jsonOf('c', credential === 'token' ? tokenColumns : sessionColumns)} as "c"`,
      `case when "u"."id" is null then null else ${jsonOf('u', userColumns)} end as "u"`,
      '(select "f"."status" from "two_factor" as "f" where "f"."user_id" = "u"."id") as "f_status"',
      '(select "home"."slug" from "tenants" as "home" where "home"."id" = "u"."home_tenant_id") as "home_slug"',
      `(select ${jsonOf('a', tenantColumns)} from "tenants" as "a" where "a"."id" = ${ACTING_TENANT_ID}) as "a"`,
      `(select ${jsonOf('r', roleColumns, withElevationEnd('ea'))} from "role_assignments" as "ra" left join "role_elevations" as "ea" on "ea"."user_id" = "ra"."user_id" and "ea"."tenant_id" = "ra"."tenant_id" and ${ELEVATION_IN_FORCE('ea')} join "roles" as "r" on "r"."id" = coalesce("ea"."role_id", "ra"."role_id") where "ra"."user_id" = "u"."id" and "ra"."tenant_id" = ${ACTING_TENANT_ID}) as "r"`,
      `(select ${jsonOf('d', roleColumns, withElevationEnd('ed'))} from "role_assignments" as "rd" left join "role_elevations" as "ed" on "ed"."user_id" = "rd"."user_id" and "ed"."tenant_id" = "rd"."tenant_id" and ${ELEVATION_IN_FORCE('ed')} join "roles" as "d" on "d"."id" = coalesce("ed"."role_id", "rd"."role_id") where "rd"."user_id" = "u"."id" and "rd"."tenant_id" = :default) as "d"`,
      `(select ${jsonOf('pg', policyColumns)} from "auth_policies" as "pg" where "pg"."scope_id" = :global) as "pg"`,
      `(select ${jsonOf('ph', policyColumns)} from "auth_policies" as "ph" where "ph"."scope_id" = "u"."home_tenant_id") as "ph"`,
      `(select ${jsonOf('pa', policyColumns)} from "auth_policies" as "pa" where "pa"."scope_id" = ${ACTING_TENANT_ID}) as "pa"`,
    ].join(', '),
    `from "${table}" as "c"`,
    'join "authorization_epoch" as "e" on "e"."id" = 1',
    'left join "users" as "u" on "u"."id" = "c"."user_id"',
    'where "c"."token_hash" = :hash',
  ].join(' ');
}

type Name = 'hash' | 'tenant' | 'default' | 'global' | 'now';

/** The statement in the engine's placeholders, and the order its parameters go in. */
function compile(engine: Engine, text: string): { sql: string; order: Name[] } {
  const order: Name[] = [];
  const numbered = new Map<Name, number>();
  const sql = text.replace(/:(hash|tenant|default|global|now)\b/g, (_, name: Name) => {
    if (engine === 'sqlite') {
      order.push(name);
      return '?';
    }
    // PostgreSQL numbers parameters and may reuse one; :tenant is compared with text columns, so it is text.
    let index = numbered.get(name);
    if (index === undefined) {
      order.push(name);
      numbered.set(name, (index = order.length));
    }
    return `$${index}::text`;
  });
  return { sql, order };
}

const AUTHORIZATION_STATEMENTS = {
  sqlite: { token: compile('sqlite', joinedStatement('token')), session: compile('sqlite', joinedStatement('session')) },
  postgres: { token: compile('postgres', subqueryStatement('token')), session: compile('postgres', subqueryStatement('session')) },
};

type RowOf = Record<string, unknown>;

/**
 * One part of the answer as a row of its table; undefined when the join found nothing. SQLite:
 * the part's columns under their prefix; PostgreSQL: a JSON object under the prefix.
 */
function part<T>(row: RowOf, prefix: string, columns: readonly string[], key: string): T | undefined {
  const object = row[prefix];
  if (object !== undefined) return object === null || (object as RowOf)[key] === null ? undefined : (object as T);
  if (row[`${prefix}_${key}`] === null || row[`${prefix}_${key}`] === undefined) return undefined;
  const out: RowOf = {};
  for (const column of columns) out[column] = row[`${prefix}_${column}`];
  return out as T;
}

/**
 * Recent credentials' facts, kept by the root store only (a store of a transaction never has
 * them: what a command checks is read inside it), and given again only while nothing that can
 * alter a decision has changed since they were read (see AuthorizationCache):
 * - SQLite (`watch`): while the database's change counters are unchanged, read by a statement of
 *   their own before the facts are given again;
 * - PostgreSQL: while the authorization epoch (migration 017) is unchanged, read after the
 *   request arrived by a small statement shared with the requests arriving at the same time
 *   (SharedEpochRead); the authorization statement reads it beside the facts.
 * A query marked `fresh` is always read (see AuthorizationFacts.kept).
 */
export interface KeptAuthorizations {
  cache: AuthorizationCache;
  /** The domain's clock: an entry holding an elevation is kept until the elevation ends. */
  now: () => string;
  /** SQLite only: the connection's change counters. */
  watch?: SqliteChangeWatch;
}

export function sqlAuthorizationStore(db: Kysely<Database>, engine: Engine, cached?: KeptAuthorizations): AuthorizationStore {
  const epoch = cached && !cached.watch ? new SharedEpochRead(db) : undefined;
  return {
    async load(query) {
      const key = AuthorizationCache.keyOf(query);
      // The version is read only for a credential whose facts are kept: a first request sends the statement alone.
      if (cached && !query.fresh && cached.cache.has(key)) {
        const hit = cached.cache.get(key, cached.watch ? cached.watch.version() : await epoch!.read(), cached.now());
        if (hit) return hit;
      }
      return read(query, key);
    },
    ...(cached && {
      cacheStats: () => ({ kept: cached.cache.size, hits: cached.cache.hits, misses: cached.cache.misses, versionReads: epoch ? epoch.sent : (cached.watch?.reads ?? 0) }),
    }),
  };

  async function read(query: AuthorizationQuery, key: string): Promise<AuthorizationFacts | undefined> {
    const { sql, order } = AUTHORIZATION_STATEMENTS[engine][query.credential];
    const values: Record<Name, string | null> = { hash: query.hash, tenant: query.tenant, default: query.defaultTenantId, global: GLOBAL_SCOPE, now: query.now };
    const { rows } = await db.executeQuery<RowOf>(CompiledQuery.raw(sql, order.map((name) => values[name])));
    const row = rows[0];
    if (!row) return undefined;
    const user = part<UserRow>(row, 'u', userColumns, 'id');
    const acting = part<TenantRow>(row, 'a', tenantColumns, 'id');
    const roleIn = part<RoleRow & { [ELEVATION_END_KEY]?: string | null }>(row, 'r', roleColumns, 'id');
    const roleInDefault = part<RoleRow & { [ELEVATION_END_KEY]?: string | null }>(row, 'd', roleColumns, 'id');
    const policy = (prefix: string) => {
      const found = part<PolicyRow>(row, prefix, policyColumns, 'scope_id');
      return found && toPolicyFacts(found);
    };
    const facts: AuthorizationFacts = {
      user: user && toOwnerFacts(user),
      twoFactorStatus: (row.f_status as TwoFactorStatus | null) ?? null,
      twoFactorReenrolmentRequiredAt: user?.two_factor_reenrolment_required_at ?? null,
      homeTenantSlug: (row.home_slug as string | null) ?? null,
      acting: acting && { tenant: toTenantFacts(acting), role: roleIn && toRoleFacts(roleIn) },
      roleInDefault: roleInDefault && toRoleFacts(roleInDefault),
      policies: { global: policy('pg'), home: policy('ph'), acting: policy('pa') },
    };
    if (query.credential === 'token') facts.token = toTokenFacts(part<TokenRow>(row, 'c', tokenColumns, 'id')!);
    else facts.session = toSessionFacts(part<SessionRow>(row, 'c', sessionColumns, 'id')!);
    const version = versionOfRow(row);
    if (cached && version !== undefined) {
      // SQLite reads the elevations' ends as columns of their own, PostgreSQL beside each role's.
      const ends = [row.ea_ends_at, row.ed_ends_at, roleIn?.[ELEVATION_END_KEY], roleInDefault?.[ELEVATION_END_KEY]].filter((end): end is string => typeof end === 'string').sort();
      cached.cache.set(key, version, facts, ends[0] ?? null);
    }
    return facts;
  }
}

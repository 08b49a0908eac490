import { CompiledQuery, type Kysely } from 'kysely';
import type { AuthorizationFacts, AuthorizationQuery, AuthorizationStore } from '../../domain/access/authorization-facts.ts';
import { GLOBAL_SCOPE } from '../../domain/sessions/authentication-policy.ts';
import type { TwoFactorStatus } from '../../domain/two-factor/two-factor.ts';
import type { Engine } from '../open-database.ts';
import type { Database } from '../schema.ts';
import { toPolicyRecord } from './auth-policy-store.ts';
import { toRole } from './role-store.ts';
import { toSession } from './session-store.ts';
import { toTenant } from './tenant-store.ts';
import { toToken } from './token-store.ts';
import { toUser } from './user-store.ts';

/**
 * Every column of a table, checked against schema.ts by the compiler: a column added there and
 * not here (or the reverse) fails the type check, so the statement below never reads a row short.
 */
const columnsOf = <T extends keyof Database>(columns: Record<keyof Database[T] & string, true>) => Object.keys(columns) as (keyof Database[T] & string)[];

const tokenColumns = columnsOf<'api_tokens'>({ id: true, user_id: true, name: true, token_hash: true, prefix: true, created_at: true, expires_at: true, last_used_at: true, revoked_at: true });
const sessionColumns = columnsOf<'sessions'>({
  id: true,
  user_id: true,
  token_hash: true,
  csrf_hash: true,
  created_at: true,
  last_seen_at: true,
  expires_at: true,
  ip: true,
  user_agent: true,
  ended_at: true,
  end_reason: true,
  method: true,
});
const userColumns = columnsOf<'users'>({
  id: true,
  email: true,
  email_normalized: true,
  display_name: true,
  home_tenant_id: true,
  status: true,
  password_hash: true,
  must_change_password: true,
  created_at: true,
  updated_at: true,
  last_login_at: true,
  last_login_ip: true,
  last_login_user_agent: true,
  password_expires_at: true,
  two_factor_reenrolment_required_at: true,
});
const tenantColumns = columnsOf<'tenants'>({ id: true, slug: true, name: true, created_at: true, updated_at: true });
const roleColumns = columnsOf<'roles'>({ id: true, tenant_id: true, name: true, name_normalized: true, description: true, built_in: true, permissions: true, created_at: true, updated_at: true });
const policyColumns = columnsOf<'auth_policies'>({ scope_id: true, require_two_factor: true, idle_timeout_seconds: true, absolute_timeout_seconds: true, updated_at: true, updated_by: true });

/** `alias.column as "prefix_column"` for each column. */
const select = (alias: string, prefix: string, columns: readonly string[]) => columns.map((column) => `"${alias}"."${column}" as "${prefix}_${column}"`);

/**
 * The one statement, from the credential's row outwards. Left joins throughout: a missing owner,
 * tenant, role or policy reads as NULL columns, and the domain decides what that means. The acting
 * tenant is the one named (a slug first, then an id, as resolveTenant always did) or the owner's
 * home. Named parameters (:hash, :tenant, :default, :global) become the engine's placeholders once.
 * SQLite's planner takes these twelve joins in microseconds, each an index search.
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
    ].join(', '),
    `from "${table}" as "c"`,
    'left join "users" as "u" on "u"."id" = "c"."user_id"',
    'left join "two_factor" as "f" on "f"."user_id" = "u"."id"',
    'left join "tenants" as "home" on "home"."id" = "u"."home_tenant_id"',
    `left join "tenants" as "a" on "a"."id" = ${ACTING_TENANT_ID}`,
    'left join "role_assignments" as "ra" on "ra"."tenant_id" = "a"."id" and "ra"."user_id" = "u"."id"',
    'left join "roles" as "r" on "r"."id" = "ra"."role_id"',
    'left join "role_assignments" as "rd" on "rd"."tenant_id" = :default and "rd"."user_id" = "u"."id"',
    'left join "roles" as "d" on "d"."id" = "rd"."role_id"',
    'left join "auth_policies" as "pg" on "pg"."scope_id" = :global',
    'left join "auth_policies" as "ph" on "ph"."scope_id" = "u"."home_tenant_id"',
    'left join "auth_policies" as "pa" on "pa"."scope_id" = "a"."id"',
    'where "c"."token_hash" = :hash',
  ].join(' ');
}

/** The acting tenant's id: the one named (a slug first, then an id) or the owner's home. */
const ACTING_TENANT_ID = 'coalesce((select "named"."id" from "tenants" as "named" where "named"."slug" = :tenant), :tenant, "u"."home_tenant_id")';

/**
 * The same reads for PostgreSQL, shaped for its planner: twelve joined relations cost it more to
 * plan than to run (join-order search, re-planned for each custom plan of a prepared statement).
 * Two joined tables and one scalar subquery per other part, each a single index lookup planned on
 * its own, with the rows as JSON objects keyed by column name (pg parses them). Same answers.
 */
function subqueryStatement(credential: AuthorizationQuery['credential']): string {
  const table = credential === 'token' ? 'api_tokens' : 'sessions';
  return [
    'select',
    [
      'row_to_json("c") as "c"',
      'row_to_json("u") as "u"',
      '(select "f"."status" from "two_factor" as "f" where "f"."user_id" = "u"."id") as "f_status"',
      '(select "home"."slug" from "tenants" as "home" where "home"."id" = "u"."home_tenant_id") as "home_slug"',
      `(select row_to_json("a") from "tenants" as "a" where "a"."id" = ${ACTING_TENANT_ID}) as "a"`,
      `(select row_to_json("r") from "role_assignments" as "ra" join "roles" as "r" on "r"."id" = "ra"."role_id" where "ra"."user_id" = "u"."id" and "ra"."tenant_id" = ${ACTING_TENANT_ID}) as "r"`,
      '(select row_to_json("d") from "role_assignments" as "rd" join "roles" as "d" on "d"."id" = "rd"."role_id" where "rd"."user_id" = "u"."id" and "rd"."tenant_id" = :default) as "d"',
      '(select row_to_json("pg") from "auth_policies" as "pg" where "pg"."scope_id" = :global) as "pg"',
      '(select row_to_json("ph") from "auth_policies" as "ph" where "ph"."scope_id" = "u"."home_tenant_id") as "ph"',
      `(select row_to_json("pa") from "auth_policies" as "pa" where "pa"."scope_id" = ${ACTING_TENANT_ID}) as "pa"`,
    ].join(', '),
    `from "${table}" as "c"`,
    'left join "users" as "u" on "u"."id" = "c"."user_id"',
    'where "c"."token_hash" = :hash',
  ].join(' ');
}

type Name = 'hash' | 'tenant' | 'default' | 'global';

/** The statement in the engine's placeholders, and the order its parameters go in. */
function compile(engine: Engine, text: string): { sql: string; order: Name[] } {
  const order: Name[] = [];
  const numbered = new Map<Name, number>();
  const sql = text.replace(/:(hash|tenant|default|global)\b/g, (_, name: Name) => {
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

const statements = {
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

export function sqlAuthorizationStore(db: Kysely<Database>, engine: Engine): AuthorizationStore {
  return {
    async load(query) {
      const { sql, order } = statements[engine][query.credential];
      const values: Record<Name, string | null> = { hash: query.hash, tenant: query.tenant, default: query.defaultTenantId, global: GLOBAL_SCOPE };
      const { rows } = await db.executeQuery<RowOf>(CompiledQuery.raw(sql, order.map((name) => values[name])));
      const row = rows[0];
      if (!row) return undefined;
      const user = part<Database['users']>(row, 'u', userColumns, 'id');
      const acting = part<Database['tenants']>(row, 'a', tenantColumns, 'id');
      const roleIn = part<Database['roles']>(row, 'r', roleColumns, 'id');
      const roleInDefault = part<Database['roles']>(row, 'd', roleColumns, 'id');
      const policy = (prefix: string) => {
        const found = part<Database['auth_policies']>(row, prefix, policyColumns, 'scope_id');
        return found && toPolicyRecord(found);
      };
      const facts: AuthorizationFacts = {
        user: user && toUser(user),
        twoFactorStatus: (row.f_status as TwoFactorStatus | null) ?? null,
        twoFactorReenrolmentRequiredAt: user?.two_factor_reenrolment_required_at ?? null,
        homeTenantSlug: (row.home_slug as string | null) ?? null,
        acting: acting && { tenant: toTenant(acting), role: roleIn && toRole(roleIn) },
        roleInDefault: roleInDefault && toRole(roleInDefault),
        policies: { global: policy('pg'), home: policy('ph'), acting: policy('pa') },
      };
      if (query.credential === 'token') facts.token = toToken(part<Database['api_tokens']>(row, 'c', tokenColumns, 'id')!);
      else facts.session = toSession(part<Database['sessions']>(row, 'c', sessionColumns, 'id')!);
      return facts;
    },
  };
}

import { CUSTOM_PLAN } from '../postgres-dialect.ts';
import { sql, type ExpressionBuilder, type Kysely, type RawBuilder } from 'kysely';
import { elevationInForceSql } from './role-elevation-sql.ts';
import type { TenantMember, UserListQuery, UserStore } from '../../domain/users/user-store.ts';
import { normalizeEmail, type StoredUser, type UserStatus } from '../../domain/users/user.ts';
import type { Engine } from '../open-database.ts';
import { TENANT_ROWID_SPAN } from '../migrations/016-tenant-search.ts';
import { UNICODE_LOWER } from '../sqlite-dialect.ts';
import type { Database } from '../schema.ts';
import { escapeLike } from './sql-helpers.ts';
import { membersFrom, orderMembers } from './user-order.ts';

type Row = Database['users'];

export const toUser = (row: Row): StoredUser => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  homeTenantId: row.home_tenant_id,
  status: row.status as UserStatus,
  passwordHash: row.password_hash,
  mustChangePassword: Number(row.must_change_password) === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastLoginAt: row.last_login_at,
  lastLoginIp: row.last_login_ip,
  lastLoginUserAgent: row.last_login_user_agent,
  passwordExpiresAt: row.password_expires_at,
});

/** A new user's row (its 2FA re-enrolment mark starts unset): one place for single and bulk inserts. */
export const toUserRow = (user: StoredUser): Omit<Row, 'two_factor_reenrolment_required_at'> => ({
  id: user.id,
  email: user.email,
  email_normalized: normalizeEmail(user.email),
  display_name: user.displayName,
  home_tenant_id: user.homeTenantId,
  status: user.status,
  password_hash: user.passwordHash,
  must_change_password: user.mustChangePassword ? 1 : 0,
  created_at: user.createdAt,
  updated_at: user.updatedAt,
  last_login_at: user.lastLoginAt,
  last_login_ip: user.lastLoginIp,
  last_login_user_agent: user.lastLoginUserAgent,
  password_expires_at: user.passwordExpiresAt,
});

/** The trigram tokenizer indexes sequences of three characters: a shorter search can't use it. */
const TRIGRAM = 3;

/**
 * A search's plan is chosen per query (listMembers), by the tenant's size and the term's breadth
 * in the tenant:
 * - a tenant of at most SMALL_TENANT members is searched by walking all of them;
 * - in a larger one, a term that fewer than RARE_TERM of the tenant's members match is searched
 *   through the tenant's part of the trigram index (migration 016: its cost follows those
 *   matches, never the installation's);
 * - a broader term walks up to BROAD_WALK of the tenant's members from the cursor, which a term
 *   that common fills its page within, and the rest of the page (if any) comes through the index.
 * PostgreSQL takes only the first step: past a small tenant, its planner chooses between the
 * tenant's GIN entries ANDed with the trigrams and a walk of the memberships by itself (its
 * statistics), and the count would be one more statement that decides nothing for it.
 */
export const SEARCH_PLAN: SearchPlan = { SMALL_TENANT: 2_000, RARE_TERM: 2_000, BROAD_WALK: 20_000 };

export interface SearchPlan {
  SMALL_TENANT: number;
  RARE_TERM: number;
  BROAD_WALK: number;
}

/**
 * How a search (`query.search`) narrows a page of members:
 * - `index`: through the tenant's entries of the trigram index of memberships (migration 016;
 *   SQLite: the FTS5 table `member_search`, matched as one phrase, so every character is
 *   literal, within the tenant's rowid range; PostgreSQL: LIKE on `member_search` with the
 *   tenant id, which its GIN index of the tenant id and trigrams serves). Its cost follows the
 *   tenant's matches.
 * - `walk`: each member the page walks past is tested (the email and the display name contain
 *   the text), in the engine's own function that no index serves (instr, strpos), so the plan
 *   stays the walk through the tenant's memberships that the limit stops.
 * Both are case-insensitive over all of Unicode and agree on what matches: email_normalized is
 * lower-cased by the store (in JavaScript), the display name in the query (SQLite's own lower()
 * leaves "Ë" as it is, so SQLite uses UNICODE_LOWER). A search shorter than a trigram always walks.
 */
export type SearchPath = 'index' | 'walk';

/** The text as one FTS5 phrase: every character literal. */
const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** The rowids of the tenant's rows of `member_search` (SQLite): from its key times the span, up to the next key's. */
const tenantRowids = (tenantId: string) => {
  const first = sql`(select tenant_key * ${sql.lit(TENANT_ROWID_SPAN)} from tenant_search_keys where tenant_id = ${tenantId})`;
  const last = sql`(select tenant_key * ${sql.lit(TENANT_ROWID_SPAN)} + ${sql.lit(TENANT_ROWID_SPAN - 1)} from tenant_search_keys where tenant_id = ${tenantId})`;
  return sql<boolean>`member_search.rowid between ${first} and ${last}`;
};

/**
 * The part of a page the index path may stop at (memberPageQuery): when nothing but the search
 * narrows a page in id order, the page is the first `limit` matching memberships past the
 * cursor, so the index's matches are cut there before any join.
 */
interface MatchWindow {
  after?: string;
  upTo?: string;
  descending: boolean;
  limit: number;
}

function searchCondition(engine: Engine, tenantId: string, search: string, path: SearchPath, window?: MatchWindow) {
  const text = search.toLowerCase();
  const displayName = engine === 'sqlite' ? sql`${sql.raw(UNICODE_LOWER)}(u.display_name)` : sql`lower(u.display_name)`;
  if (path === 'walk' || [...text].length < TRIGRAM) {
    // SQLite reads the two columns from migration 014's covering index, a few members per page
    // of it, not from each member's whole row; the row is read for the page's matches alone.
    if (engine === 'sqlite') {
      return sql<boolean>`exists (select 1 from users as s indexed by users_search_walk where s.id = ra.user_id and (instr(s.email_normalized, ${text}) > 0 or instr(${sql.raw(UNICODE_LOWER)}(s.display_name), ${text}) > 0))`;
    }
    return sql<boolean>`(strpos(u.email_normalized, ${text}) > 0 or strpos(${displayName}, ${text}) > 0)`;
  }
  // The tenant's matching member ids (`id`: their column in the subquery), cut to the window when there is one.
  const cut = (id: RawBuilder<unknown>) => {
    if (!window) return sql``;
    const after = window.after === undefined ? sql`` : sql` and ${id} ${sql.raw(window.descending ? '<' : '>')} ${window.after}`;
    const upTo = window.upTo === undefined ? sql`` : sql` and ${id} <= ${window.upTo}`;
    return sql`${after}${upTo} order by ${id} ${sql.raw(window.descending ? 'desc' : 'asc')} limit ${window.limit}`;
  };
  if (engine === 'sqlite') {
    const phrase = ftsPhrase(text);
    return sql<boolean>`ra.user_id in (select k.user_id from member_search join member_search_keys k on k.search_rowid = member_search.rowid where member_search match ${phrase} and ${tenantRowids(tenantId)}${cut(sql`k.user_id`)})`;
  }
  const pattern = `%${escapeLike(text)}%`;
  // Planned for its term, never prepared (CUSTOM_PLAN): the term decides between the trigram entries and a walk.
  return sql<boolean>`ra.user_id in (select ${sql.raw(CUSTOM_PLAN)} ms.user_id from member_search as ms where ms.tenant_id = ${tenantId} and (ms.email_normalized like ${pattern} escape '\\' or ms.display_name_lower like ${pattern} escape '\\')${cut(sql`ms.user_id`)})`;
}

/** The window of matches a page in id order narrowed by the search alone needs (searchCondition); none otherwise. */
function matchWindow(query: UserListQuery, upTo: string | undefined): MatchWindow | undefined {
  const { order } = query;
  if (order && order.key !== 'created') return undefined;
  const others = [query.roleId, query.status, query.homeTenantSlug, query.lastSignInBefore, query.lastSignInAfter, query.twoFactorEnrolled, query.ssoLinked];
  if (others.some((filter) => filter !== undefined)) return undefined;
  return { after: order?.after?.id ?? query.after, upTo, descending: order?.descending ?? false, limit: query.limit };
}

type MemberPage = ExpressionBuilder<Database & { ra: Database['role_assignments']; u: Database['users'] }, 'ra' | 'u'>;

/** Whether the row's user (`u`) has two-factor authentication enabled. */
const twoFactorEnabled = (eb: MemberPage) =>
  eb.exists(eb.selectFrom('two_factor').select('two_factor.user_id').whereRef('two_factor.user_id', '=', 'u.id').where('two_factor.status', '=', 'enabled'));

/** Whether an identity-provider account signs in as the row's user (`u`). */
const ssoLinked = (eb: MemberPage) => eb.exists(eb.selectFrom('external_identities').select('external_identities.user_id').whereRef('external_identities.user_id', '=', 'u.id'));

/** SQLite answers a condition as 0 or 1, PostgreSQL as a boolean. */
const truth = (value: unknown) => value === true || Number(value) === 1;

/**
 * The statement of one page of a tenant's members, built but not run (the store runs it; tests
 * ask the engine for its plan): the members in user-id order with their role and home tenant,
 * every filter of the query applied, stopping at the limit. `searchPath` says how a search
 * narrows it (default: the trigram index when the text is long enough); `upTo`, the last
 * member id the walk may reach.
 */
export function memberPageQuery(db: Kysely<Database>, engine: Engine, tenantId: string, query: UserListQuery, options: { searchPath?: SearchPath; upTo?: string } = {}) {
  // The memberships and their users, walked from the end that hands out the page's order (user-order.ts).
  const now = query.now;
  let select = membersFrom(db, query)
    // The role in force: a time-bound one (one probe of role_elevations' primary key per row) while it lasts.
    .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(now === undefined ? sql<boolean>`1 = 0` : elevationInForceSql('e', now)))
    .innerJoin('roles as r', (join) => join.on(sql<boolean>`${sql.ref('r.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('ra.role_id')})`))
    .innerJoin('tenants as home', 'home.id', 'u.home_tenant_id')
    .selectAll('u')
    .select(['r.id as role_id', 'r.name as role_name', 'home.slug as home_tenant_slug'])
    // The list's 2FA and SSO columns, in the same statement: one probe of each primary key or index per row of the page.
    .select((eb) => [twoFactorEnabled(eb).as('two_factor_enabled'), ssoLinked(eb).as('sso_linked')])
    .where('ra.tenant_id', '=', tenantId);
  // Ordered by ra.user_id, not u.id: the index on (tenant_id, user_id), or on (tenant_id,
  // role_id, user_id) with a role, hands the rows out in that order and the limit stops the walk.
  if (options.upTo) select = select.where('ra.user_id', '<=', options.upTo);
  if (query.roleId) select = select.where('ra.role_id', '=', query.roleId);
  if (query.status) select = select.where('u.status', '=', query.status);
  if (query.homeTenantSlug) select = select.where('home.slug', '=', query.homeTenantSlug);
  if (query.lastSignInBefore) select = select.where('u.last_login_at', '<', query.lastSignInBefore);
  if (query.lastSignInAfter) select = select.where('u.last_login_at', '>=', query.lastSignInAfter);
  const { twoFactorEnrolled, ssoLinked: linked } = query;
  if (twoFactorEnrolled !== undefined) select = select.where((eb) => (twoFactorEnrolled ? twoFactorEnabled(eb) : eb.not(twoFactorEnabled(eb))));
  if (linked !== undefined) select = select.where((eb) => (linked ? ssoLinked(eb) : eb.not(ssoLinked(eb))));
  const search = query.search?.trim();
  if (search) select = select.where(searchCondition(engine, tenantId, search, options.searchPath ?? 'index', matchWindow(query, options.upTo)));
  // The order and the cursor: id order by default (user-order.ts).
  return orderMembers(select, query).limit(query.limit);
}

/** `plan`: the search's thresholds (tests make them small, to take every path on a few users). */
export function sqlUserStore(db: Kysely<Database>, engine: Engine, plan: SearchPlan = SEARCH_PLAN): UserStore {
  /**
   * A page of a tenant's members. A search starts from the tenant when it is small or the term
   * broad, and from the trigram index when the term is rare (SEARCH_PLAN): the index's cost
   * follows the matches across the whole installation, the walk's the members it passes. One
   * statement finds whether the tenant is small (its n-th membership), one counts the term's
   * matches up to RARE_TERM; a broad term's walk ends at a member found the same way, and hands
   * what is left of the page to the index, after the walk's end. The members come in id order,
   * each once, in at most 5 statements whatever the page size.
   */
  async function listMembers(tenantId: string, query: UserListQuery): Promise<TenantMember[]> {
    const search = query.search?.trim();
    if (!search || [...search].length < TRIGRAM) return readPage(memberPageQuery(db, engine, tenantId, query));
    // Another order than id order: the search through the index, in one statement (the walks below go in id order).
    const idOrder = !query.order || (query.order.key === 'created' && !query.order.descending);
    if (!idOrder) return readPage(memberPageQuery(db, engine, tenantId, query, { searchPath: 'index' }));
    if (!(await walkEnd(tenantId, undefined, plan.SMALL_TENANT))) return readPage(memberPageQuery(db, engine, tenantId, query, { searchPath: 'walk' }));
    if (engine === 'postgres' || (await countMatches(tenantId, search, plan.RARE_TERM)) < plan.RARE_TERM) return readPage(memberPageQuery(db, engine, tenantId, query, { searchPath: 'index' }));
    // In id order the cursor is `after`, or the order's own (an ascending `created` order with one).
    const end = await walkEnd(tenantId, query.order?.after?.id ?? query.after, plan.BROAD_WALK);
    const walked = await readPage(memberPageQuery(db, engine, tenantId, query, { searchPath: 'walk', upTo: end }));
    if (!end || walked.length >= query.limit) return walked;
    const rest = await readPage(memberPageQuery(db, engine, tenantId, { ...query, order: undefined, after: end, limit: query.limit - walked.length }, { searchPath: 'index' }));
    return [...walked, ...rest];
  }

  /** The id of the tenant's n-th member after `after` (id order), or undefined when it has fewer: where a walk of n members ends. */
  async function walkEnd(tenantId: string, after: string | undefined, n: number): Promise<string | undefined> {
    const row = await db
      .selectFrom('role_assignments')
      .select('user_id')
      .where('tenant_id', '=', tenantId)
      .$if(after !== undefined, (select) => select.where('user_id', '>', after!))
      .orderBy('user_id')
      .limit(1)
      .offset(n - 1)
      .executeTakeFirst();
    return row?.user_id;
  }

  /** How many of the tenant's members the search matches (SQLite: through the tenant's part of the trigram index), counted up to `upTo`: the count stops there. */
  async function countMatches(tenantId: string, search: string, upTo: number): Promise<number> {
    const matches = sql`select rowid from member_search where member_search match ${ftsPhrase(search.toLowerCase())} and ${tenantRowids(tenantId)} limit ${upTo}`;
    const { rows } = await sql<{ n: string | number }>`select count(*) as n from (${matches}) as m`.execute(db);
    return Number(rows[0]!.n);
  }

  async function readPage(page: ReturnType<typeof memberPageQuery>): Promise<TenantMember[]> {
    const rows = await page.execute();
    return rows.map(({ role_id, role_name, home_tenant_slug, two_factor_enabled, sso_linked, sort_value, ...user }: (typeof rows)[number] & { sort_value?: string }) => ({
      ...(sort_value === undefined ? {} : { sortValue: sort_value }),
      user: toUser(user),
      role: { id: role_id, name: role_name },
      homeTenantSlug: home_tenant_slug,
      twoFactorEnabled: truth(two_factor_enabled),
      ssoLinked: truth(sso_linked),
    }));
  }

  return {
    async create(user) {
      await db
        .insertInto('users')
        .values(toUserRow(user))
        .execute();
    },
    async getById(userId) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
      return row && toUser(row);
    },
    async getByCredentialHash(kind, tokenHash) {
      const owner =
        kind === 'token'
          ? db.selectFrom('api_tokens').select('user_id').where('token_hash', '=', tokenHash)
          : db.selectFrom('sessions').select('user_id').where('token_hash', '=', tokenHash);
      const row = await db.selectFrom('users').selectAll().where('id', '=', owner).executeTakeFirst();
      return row && toUser(row);
    },
    async getByEmail(email) {
      const row = await db.selectFrom('users').selectAll().where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst();
      return row && toUser(row);
    },
    async getInTenant(tenantId, userId) {
      const row = await db
        .selectFrom('users')
        .innerJoin('role_assignments', 'role_assignments.user_id', 'users.id')
        .selectAll('users')
        .where('role_assignments.tenant_id', '=', tenantId)
        .where('users.id', '=', userId)
        .executeTakeFirst();
      return row && toUser(row);
    },
    listMembers,
    async listInTenant(tenantId, query) {
      return (await listMembers(tenantId, query)).map((member) => member.user);
    },
    async update(userId, changes) {
      const values: Partial<Row> = {};
      if (changes.email !== undefined) {
        values.email = changes.email;
        values.email_normalized = normalizeEmail(changes.email);
      }
      if (changes.displayName !== undefined) values.display_name = changes.displayName;
      if (changes.status !== undefined) values.status = changes.status;
      if (changes.passwordHash !== undefined) values.password_hash = changes.passwordHash;
      if (changes.mustChangePassword !== undefined) values.must_change_password = changes.mustChangePassword ? 1 : 0;
      if (changes.updatedAt !== undefined) values.updated_at = changes.updatedAt;
      if (changes.lastLoginAt !== undefined) values.last_login_at = changes.lastLoginAt;
      if (changes.lastLoginIp !== undefined) values.last_login_ip = changes.lastLoginIp;
      if (changes.lastLoginUserAgent !== undefined) values.last_login_user_agent = changes.lastLoginUserAgent;
      if (changes.passwordExpiresAt !== undefined) values.password_expires_at = changes.passwordExpiresAt;
      if (changes.homeTenantId !== undefined) values.home_tenant_id = changes.homeTenantId;
      if (Object.keys(values).length > 0) await db.updateTable('users').set(values).where('id', '=', userId).execute();
    },
    async delete(userId) {
      await db.deleteFrom('users').where('id', '=', userId).execute();
    },
    async countWithStatus(status) {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).where('status', '=', status).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async count() {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

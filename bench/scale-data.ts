/**
 * The scale benchmark's dataset: N users across M tenants with the shape of an enterprise
 * installation, written through the project's own schema (openDatabase + migrate, so every
 * table, index, FTS table and trigger of the migrations is there and kept) with bulk
 * multi-row INSERTs in large transactions.
 *
 * - Tenant `default` (the bootstrap's, so the server finds the installation set up) and
 *   tenant `large` with 10 % of the users; the rest are spread over a long tail of small
 *   tenants (a tenant's share falls off as 1/√rank: the first of the tail holds a few
 *   thousand at 1M users, the last a handful).
 * - The built-in roles; 100 custom roles in `large`, 1–100 in one tenant of ten.
 * - Every user is a member of their home tenant; 5 % also of one or two other tenants.
 * - 3 % suspended, 70 % signed in during the last 90 days; one API token for 10 %, one
 *   session for 20 %.
 * - E audit events over three years, each in the tenant of a random membership, by that
 *   member (or by the system), about them or another member of the tenant.
 * - One precomputed argon2id hash for every user (BENCH_PASSWORD); the benchmark's Admin
 *   (Admin in `default`, `large` and the small tenant measured) gets a known API token.
 *
 * Deterministic: a seeded generator, so two runs of the same size hold the same data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { allPermissions } from '../src/domain/permissions.ts';
import { builtInRoleDefinitions } from '../src/domain/roles/role.ts';
import { hashPassword } from '../src/domain/users/passwords.ts';
import { migrate, openDatabase, type Engine } from '../src/storage/open-database.ts';
import type { Database } from '../src/storage/schema.ts';

export const BENCH_PASSWORD = 'a benchmark user password';
export const ADMIN_EMAIL = 'bench-admin@sophon.local';
export const LARGE_TENANT_SLUG = 'large';

export interface DatasetSize {
  users: number;
  tenants: number;
  events: number;
}

/** What the benchmark needs to know about the data it measures. */
export interface Dataset {
  size: DatasetSize;
  adminToken: string;
  largeTenant: { slug: string; members: number; sampleUserIds: string[]; auditedUserIds: string[] };
  smallTenant: { slug: string; members: number; sampleUserIds: string[] };
  /** The span of the audit events: [first, last] occurred_at. */
  auditSpan: [string, string];
  rows: Record<string, number>;
  seconds: number;
}

const YEAR = 365 * 24 * 3600_000;
const SPAN_MS = 3 * YEAR;

/** mulberry32: small, fast and good enough to shape data. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * UUIDv7 for a given millisecond, as src/domain/ids.ts makes them (time first, so ids sort as
 * their times), with a counter in the 12 bits after the version for ids of the same millisecond.
 */
function uuidFactory(random: () => number): (ms: number) => string {
  let lastMs = -1;
  let counter = 0;
  const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');
  return (ms) => {
    if (ms <= lastMs) {
      counter++;
      if (counter > 0xfff) {
        lastMs++;
        counter = 0;
      }
      ms = lastMs;
    } else {
      lastMs = ms;
      counter = 0;
    }
    const time = hex(ms, 12);
    const tail = hex(Math.floor(random() * 0x1000000), 6) + hex(Math.floor(random() * 0x1000000), 6);
    return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(counter, 3)}-${hex(0x8000 | Math.floor(random() * 0x4000), 4)}-${tail}`;
  };
}

const FIRST_NAMES = 'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy Jacob Kathleen Gary Angela Nicholas Shirley Eric Brenda Jonathan Emma Stephen Anna Larry Pamela Justin Nicole Scott Samantha Brandon Katherine Benjamin Christine Samuel Helen Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helena Renée Zoë Søren'.split(' ');
const LAST_NAMES = 'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Müller Østergaard'.split(' ');

const CATEGORY_WEIGHTS: [string, number, string[]][] = [
  ['auth', 50, ['login.succeeded', 'login.failed', 'logout', 'password.changed']],
  ['sessions', 15, ['session.ended', 'session.revoked']],
  ['users', 10, ['user.created', 'user.updated', 'user.suspended', 'user.reactivated']],
  ['rbac', 5, ['role.assigned', 'role.created', 'role.updated']],
  ['tokens', 5, ['token.created', 'token.revoked']],
  ['authz', 5, ['permission.denied']],
  ['resources', 5, ['resource.created', 'resource.updated', 'orphans.reassigned']],
  ['tenants', 3, ['tenant.updated', 'member.added']],
  ['system', 2, ['system.settings.changed']],
];

/** Referenced tables before the tables that reference them. */
const TABLE_ORDER = ['tenants', 'roles', 'users', 'role_assignments', 'api_tokens', 'sessions', 'audit_events'];

/**
 * Rows go out as multi-row INSERTs through the database handle (Kysely's executor: the
 * dialect's statement cache on SQLite, pg on PostgreSQL), as many rows per statement as the
 * engine takes parameters for (SQLite 32,766; PostgreSQL 65,535), each text prepared once.
 */
class BulkWriter {
  readonly #db: Kysely<Database>;
  readonly #engine: Engine;
  readonly #texts = new Map<string, string>();
  readonly #pending = new Map<string, { columns: readonly string[]; values: unknown[]; rows: number }>();
  readonly counts: Record<string, number> = {};
  #transaction: Kysely<Database> | undefined;

  constructor(db: Kysely<Database>, engine: Engine) {
    this.#db = db;
    this.#engine = engine;
  }

  rowsPerStatement(columns: number): number {
    return Math.floor((this.#engine === 'sqlite' ? 32_000 : 65_000) / columns);
  }

  #text(table: string, columns: readonly string[], rows: number): string {
    const key = `${table}/${rows}`;
    let text = this.#texts.get(key);
    if (!text) {
      let parameter = 0;
      const row = () => `(${columns.map(() => (this.#engine === 'sqlite' ? '?' : `$${++parameter}`)).join(',')})`;
      text = `insert into ${table} (${columns.join(',')}) values ${Array.from({ length: rows }, row).join(',')}`;
      this.#texts.set(key, text);
    }
    return text;
  }

  async add(table: string, columns: readonly string[], row: unknown[]): Promise<void> {
    let pending = this.#pending.get(table);
    if (!pending) this.#pending.set(table, (pending = { columns, values: [], rows: 0 }));
    for (const value of row) pending.values.push(value);
    pending.rows++;
    // All tables at once, parents first: a child row never goes out before the row it references.
    if (pending.rows >= this.rowsPerStatement(columns.length)) await this.flushAll();
  }

  async #flush(table: string): Promise<void> {
    const pending = this.#pending.get(table);
    if (!pending || pending.rows === 0) return;
    const target = this.#transaction ?? this.#db;
    await target.executeQuery(CompiledQuery.raw(this.#text(table, pending.columns, pending.rows), pending.values));
    this.counts[table] = (this.counts[table] ?? 0) + pending.rows;
    pending.values = [];
    pending.rows = 0;
  }

  async flushAll(): Promise<void> {
    const tables = [...this.#pending.keys()].sort((a, b) => TABLE_ORDER.indexOf(a) - TABLE_ORDER.indexOf(b));
    for (const table of tables) await this.#flush(table);
  }

  /** Runs `work` in one transaction (synchronous commit off on PostgreSQL); everything it added is written before the commit. */
  async inTransaction(work: () => Promise<void>): Promise<void> {
    await this.#db.transaction().execute(async (transaction) => {
      if (this.#engine === 'postgres') await sql`set local synchronous_commit = off`.execute(transaction);
      this.#transaction = transaction;
      try {
        await work();
        await this.flushAll();
      } finally {
        this.#transaction = undefined;
      }
    });
  }
}

function progress(label: string, total: number): (done: number) => void {
  const started = performance.now();
  let shown = started;
  return (done) => {
    const now = performance.now();
    if (done < total && now - shown < 2000) return;
    shown = now;
    const seconds = (now - started) / 1000;
    process.stdout.write(`  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${Math.round(done / Math.max(seconds, 0.001)).toLocaleString('en')}/s, ${seconds.toFixed(0)} s)\n`);
  };
}

/** Fills an empty database (SQLite under `dataDir`, or PostgreSQL at `databaseUrl`) and returns what the benchmark measures. */
export async function generateDataset(options: { engine: Engine; dataDir: string; databaseUrl?: string; size: DatasetSize; label: string }): Promise<Dataset> {
  const started = performance.now();
  const { size } = options;
  const opened = openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, report: () => undefined });
  const { db, engine } = opened;
  try {
    await migrate(db);
    if (engine === 'sqlite') {
      // For the generation only (the server opens its own connection with the usual settings): a crash here loses a benchmark database, nothing else.
      await sql`pragma synchronous = off`.execute(db);
      await sql`pragma cache_size = -1000000`.execute(db);
    }
    const random = seeded(size.users * 31 + size.tenants * 7 + size.events);
    const uuid = uuidFactory(random);
    const writer = new BulkWriter(db, engine);
    const passwordHash = await hashPassword(BENCH_PASSWORD);
    const now = Date.now();
    const epoch = now - SPAN_MS;
    const iso = (ms: number) => new Date(ms).toISOString();
    const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

    // Tenants: 0 default, 1 large, 2.. the tail.
    const tenantCount = Math.max(3, size.tenants);
    const tenantIds = Array.from({ length: tenantCount }, (_, index) => uuid(epoch + index));
    const smallIndex = 2 + Math.floor((tenantCount - 2) * 0.75);
    const slugOf = (index: number) => (index === 0 ? 'default' : index === 1 ? LARGE_TENANT_SLUG : `tenant-${index}`);
    const tailTenant = () => 2 + Math.min(tenantCount - 3, Math.floor((tenantCount - 2) * random() ** 2));

    // Users: home tenants first, so the members of each tenant are known before the events.
    const userCount = Math.max(10, size.users);
    const homeOf = new Int32Array(userCount);
    for (let user = 0; user < userCount; user++) homeOf[user] = user % 10 === 0 ? 1 : tailTenant();
    // The small tenant measured holds at least 20 users, whatever the draw.
    for (let user = 1, moved = 0; moved < 20 && user < userCount; user += 10, moved++) homeOf[user] = smallIndex;
    const userIds: string[] = new Array(userCount);
    const createdMs = new Float64Array(userCount);
    for (let user = 0; user < userCount; user++) {
      createdMs[user] = epoch + Math.floor((user / userCount) * (SPAN_MS - 24 * 3600_000));
      userIds[user] = uuid(createdMs[user]!);
    }

    // Memberships: the home tenant, plus one or two others for 5 %.
    const membershipTenant: number[] = [];
    const membershipUser: number[] = [];
    for (let user = 0; user < userCount; user++) {
      membershipTenant.push(homeOf[user]!);
      membershipUser.push(user);
      if (random() < 0.05) {
        const extra = random() < 0.5 ? 1 : 2;
        const taken = new Set([homeOf[user]!]);
        for (let index = 0; index < extra; index++) {
          const tenant = random() < 0.2 ? 1 : tailTenant();
          if (taken.has(tenant)) continue;
          taken.add(tenant);
          membershipTenant.push(tenant);
          membershipUser.push(user);
        }
      }
    }
    // The members of each tenant, as offsets into one array (for the events' subjects).
    const memberCount = new Int32Array(tenantCount);
    for (const tenant of membershipTenant) memberCount[tenant]!++;
    const memberStart = new Int32Array(tenantCount + 1);
    for (let tenant = 0; tenant < tenantCount; tenant++) memberStart[tenant + 1] = memberStart[tenant]! + memberCount[tenant]!;
    const members = new Int32Array(membershipTenant.length);
    const filled = memberStart.slice(0, tenantCount);
    for (let index = 0; index < membershipTenant.length; index++) members[filled[membershipTenant[index]!]!++] = membershipUser[index]!;

    // Custom roles: 100 in `large`, 1–100 in one tail tenant of ten.
    const customRoles: string[][] = Array.from({ length: tenantCount }, () => []);
    console.log(`${options.label}: ${userCount.toLocaleString('en')} users, ${tenantCount.toLocaleString('en')} tenants, ${membershipTenant.length.toLocaleString('en')} memberships, ${size.events.toLocaleString('en')} audit events (${engine})`);

    const tenantColumns = ['id', 'slug', 'name', 'created_at', 'updated_at'] as const;
    const roleColumns = ['id', 'tenant_id', 'name', 'name_normalized', 'description', 'built_in', 'permissions', 'created_at', 'updated_at'] as const;
    await writer.inTransaction(async () => {
      for (const role of builtInRoleDefinitions) await writer.add('roles', roleColumns, [role.id, null, role.name, role.name.toLowerCase(), role.description, 1, '[]', iso(epoch), iso(epoch)]);
      for (let tenant = 0; tenant < tenantCount; tenant++) {
        const slug = slugOf(tenant);
        await writer.add('tenants', tenantColumns, [tenantIds[tenant], slug, tenant === 0 ? 'Default' : tenant === 1 ? 'Large' : `Tenant ${tenant}`, iso(epoch + tenant), iso(epoch + tenant)]);
        const roles = tenant === 1 ? 100 : tenant >= 2 && random() < 0.1 ? 1 + Math.floor(random() ** 3 * 99) : 0;
        for (let index = 0; index < roles; index++) {
          const id = uuid(epoch + tenant);
          customRoles[tenant]!.push(id);
          const permissions = allPermissions.filter(() => random() < 0.3);
          await writer.add('roles', roleColumns, [id, tenantIds[tenant], `Role ${index + 1}`, `role ${index + 1}`, `Custom role ${index + 1}`, 0, JSON.stringify(permissions), iso(epoch + tenant), iso(epoch + tenant)]);
        }
      }
    });

    const userColumns = ['id', 'email', 'email_normalized', 'display_name', 'home_tenant_id', 'status', 'password_hash', 'must_change_password', 'created_at', 'updated_at', 'last_login_at', 'last_login_ip', 'last_login_user_agent', 'password_expires_at'] as const;
    const assignmentColumns = ['user_id', 'tenant_id', 'role_id', 'assigned_at', 'assigned_by'] as const;
    const tokenColumns = ['id', 'user_id', 'name', 'token_hash', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'] as const;
    const sessionColumns = ['id', 'user_id', 'token_hash', 'csrf_hash', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent', 'ended_at', 'end_reason', 'method'] as const;
    const roleFor = (tenant: number) => {
      const draw = random();
      if (draw < 0.02) return 'admin';
      if (draw < 0.1) return 'operator';
      if (draw < 0.4 && customRoles[tenant]!.length > 0) return pick(customRoles[tenant]!);
      return 'viewer';
    };
    const usersDone = progress(`${options.label} users`, userCount);
    const USERS_PER_TRANSACTION = 50_000;
    let membership = 0;
    for (let first = 0; first < userCount; first += USERS_PER_TRANSACTION) {
      await writer.inTransaction(async () => {
        const last = Math.min(userCount, first + USERS_PER_TRANSACTION);
        for (let user = first; user < last; user++) {
          const firstName = pick(FIRST_NAMES);
          const lastName = pick(LAST_NAMES);
          const email = `${firstName.toLowerCase()}.${lastName.toLowerCase()}.user${user}@t${homeOf[user]}.example.com`;
          const created = iso(createdMs[user]!);
          const signedIn = random() < 0.7 ? iso(now - Math.floor(random() * 90 * 24 * 3600_000)) : null;
          await writer.add('users', userColumns, [userIds[user], email, email, `${firstName} ${lastName}`, tenantIds[homeOf[user]!], random() < 0.03 ? 'suspended' : 'active', passwordHash, 0, created, created, signedIn, signedIn ? `10.${user % 250}.${(user >> 8) % 250}.1` : null, signedIn ? 'Mozilla/5.0 (bench)' : null, null]);
          for (; membership < membershipUser.length && membershipUser[membership] === user; membership++) {
            const tenant = membershipTenant[membership]!;
            await writer.add('role_assignments', assignmentColumns, [userIds[user], tenantIds[tenant], roleFor(tenant), created, null]);
          }
          if (random() < 0.1) {
            const secretHash = randomHex(32);
            await writer.add('api_tokens', tokenColumns, [uuid(createdMs[user]!), userIds[user], 'automation', secretHash, `sph_${secretHash.slice(0, 6)}`, created, random() < 0.5 ? null : iso(now + YEAR), signedIn, random() < 0.1 ? iso(now) : null]);
          }
          if (random() < 0.2) {
            const seen = signedIn ?? created;
            const ended = random() < 0.5;
            await writer.add('sessions', sessionColumns, [uuid(createdMs[user]!), userIds[user], randomHex(32), randomHex(32), seen, seen, iso(Date.parse(seen) + 7 * 24 * 3600_000), '10.0.0.1', 'Mozilla/5.0 (bench)', ended ? seen : null, ended ? 'logout' : null, 'password']);
          }
        }
      });
      usersDone(Math.min(userCount, first + USERS_PER_TRANSACTION));
    }

    // The benchmark's Admin: Admin in default, large and the small tenant, with a known token.
    const adminId = uuid(now);
    const adminToken = `sph_bench_${randomHex(24)}`;
    await writer.inTransaction(async () => {
      await writer.add('users', userColumns, [adminId, ADMIN_EMAIL, ADMIN_EMAIL, 'Benchmark Admin', tenantIds[0], 'active', passwordHash, 0, iso(now), iso(now), null, null, null, null]);
      for (const tenant of [0, 1, smallIndex]) await writer.add('role_assignments', assignmentColumns, [adminId, tenantIds[tenant], 'admin', iso(now), null]);
      await writer.add('api_tokens', tokenColumns, [uuid(now), adminId, 'scale benchmark', createHash('sha256').update(adminToken).digest('hex'), adminToken.slice(0, 10), iso(now), null, null, null]);
    });

    // Audit events in time order (ids sort as times), in the tenant of a random membership.
    const auditColumns = ['id', 'occurred_at', 'tenant_id', 'actor_id', 'actor_email', 'category', 'action', 'outcome', 'subject_type', 'subject_id', 'diff', 'detail', 'ip', 'user_agent'] as const;
    const categoryTotal = CATEGORY_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    const category = () => {
      let draw = random() * categoryTotal;
      for (const entry of CATEGORY_WEIGHTS) if ((draw -= entry[1]) < 0) return entry;
      return CATEGORY_WEIGHTS[0]!;
    };
    const eventsDone = progress(`${options.label} audit events`, size.events);
    const EVENTS_PER_TRANSACTION = 200_000;
    const step = SPAN_MS / Math.max(1, size.events);
    const auditedInLarge = new Set<string>();
    for (let first = 0; first < size.events; first += EVENTS_PER_TRANSACTION) {
      await writer.inTransaction(async () => {
        const last = Math.min(size.events, first + EVENTS_PER_TRANSACTION);
        const batch: { tenant: number; row: unknown[] }[] = [];
        for (let event = first; event < last; event++) {
          const at = epoch + Math.floor(event * step);
          const which = Math.floor(random() * membershipTenant.length);
          const tenant = membershipTenant[which]!;
          const actor = membershipUser[which]!;
          const [name, , actions] = category();
          const system = random() < 0.1;
          const count = memberCount[tenant]!;
          const subject = name === 'auth' || name === 'sessions' ? actor : members[memberStart[tenant]! + Math.floor(random() * count)]!;
          const failed = name === 'auth' && random() < 0.1;
          if (tenant === 1 && auditedInLarge.size < 200 && random() < 0.05) auditedInLarge.add(userIds[actor]!);
          batch.push({ tenant, row: [
            uuid(at),
            iso(at),
            tenantIds[tenant],
            system ? null : userIds[actor],
            system ? null : `user${actor}@example.com`,
            name,
            pick(actions),
            failed ? 'failure' : name === 'authz' ? 'denied' : 'success',
            'user',
            userIds[subject],
            name === 'users' || name === 'rbac' ? '{"before":{"status":"active"},"after":{"status":"suspended"}}' : null,
            failed ? '{"reason":"wrong password"}' : null,
            `10.${actor % 250}.${(actor >> 8) % 250}.7`,
            'Mozilla/5.0 (bench)',
          ] });
        }
        // Written tenant by tenant (each tenant's events still in time order): every index of the
        // table leads with tenant_id, so neighbouring rows land on neighbouring pages.
        batch.sort((a, b) => a.tenant - b.tenant);
        for (const { row } of batch) await writer.add('audit_events', auditColumns, row);
      });
      eventsDone(Math.min(size.events, first + EVENTS_PER_TRANSACTION));
    }

    // Planner statistics, as a database that grew over years would have them.
    await sql`analyze`.execute(db);
    const sample = (tenant: number, count: number) => {
      const ids: string[] = [];
      const total = memberCount[tenant]!;
      for (let index = 0; index < count && total > 0; index++) ids.push(userIds[members[memberStart[tenant]! + Math.floor(random() * total)]!]!);
      return ids;
    };
    return {
      size: { users: userCount, tenants: tenantCount, events: size.events },
      adminToken,
      largeTenant: { slug: LARGE_TENANT_SLUG, members: memberCount[1]! + 1, sampleUserIds: sample(1, 200), auditedUserIds: [...auditedInLarge] },
      smallTenant: { slug: slugOf(smallIndex), members: memberCount[smallIndex]! + 1, sampleUserIds: sample(smallIndex, 50) },
      auditSpan: [iso(epoch), iso(epoch + Math.floor(Math.max(0, size.events - 1) * step))],
      rows: writer.counts,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (engine === 'sqlite') await sql`pragma synchronous = normal`.execute(db).catch(() => undefined);
    await db.destroy();
  }
}

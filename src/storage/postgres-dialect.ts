import { PostgresDialect } from 'kysely';
import pg from 'pg';

/** Distinct SQL texts that may be prepared by name; texts seen after that many run unnamed. */
export const POSTGRES_PREPARED_STATEMENT_LIMIT = 500;

/** A text runs unnamed this many times before it is prepared: one-off statements are never kept. */
const RUNS_BEFORE_PREPARING = 1;

/**
 * Marks a statement whose best plan depends on its parameters' values, which is then never
 * prepared by name: PostgreSQL would switch a prepared statement to a generic plan after five runs,
 * planned without the values. A users search is the case in point: whether the tenant's trigram
 * entries or a walk of its members is the cheaper plan depends on the term, and the generic plan
 * took every search of a 112k-member tenant at 1M users to 130–200 ms (one 1 s), against 5–20 ms
 * planned for its term (measured 2026-12-04).
 */
export const CUSTOM_PLAN = '/* planned for its values */';

/** Only queries: never transaction control, DDL, SET, or anything else whose effect is the statement itself. */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Names for SQL texts, shared by the pool's connections. A name is given out once per
 * distinct text (a counter, not a hash: two texts can never share one), so it means the
 * same statement on every connection, and pg, which remembers per connection what it has
 * parsed, sends Parse for it once per connection. Until `enable()` (after the migrations)
 * nothing is named: a prepared statement outlives the schema it was planned against.
 */
export class PreparedStatementNames {
  enabled = false;
  readonly #names = new Map<string, string>();
  readonly #runs = new Map<string, number>();
  #next = 0;
  readonly limit: number;

  constructor(limit = POSTGRES_PREPARED_STATEMENT_LIMIT) {
    this.limit = limit;
  }

  enable(): void {
    this.enabled = true;
  }

  /** The name to run `sql` under, or undefined to run it unnamed. */
  nameOf(sql: string): string | undefined {
    const name = this.#names.get(sql);
    if (name !== undefined || !this.enabled || this.#names.size >= this.limit || !PREPARABLE.test(sql) || sql.includes(CUSTOM_PLAN)) return name;
    const runs = this.#runs.get(sql) ?? 0;
    if (runs < RUNS_BEFORE_PREPARING) {
      // Counted only until named; bounded like the names so that one-off texts can't grow it forever.
      if (this.#runs.size >= this.limit * 4) this.#runs.clear();
      this.#runs.set(sql, runs + 1);
      return undefined;
    }
    this.#runs.delete(sql);
    const given = `sophon_${(this.#next++).toString(36)}`;
    this.#names.set(sql, given);
    return given;
  }

  get size(): number {
    return this.#names.size;
  }
}

type QueryFunction = (this: pg.Client, ...args: unknown[]) => unknown;

const BEGINS = /^\s*(begin|start\s+transaction)\b/i;
const ENDS = /^\s*(commit|end|abort|rollback(?!\s+to\b))\b/i;

/**
 * PostgreSQL refuses to run a prepared statement whose result columns changed under it
 * (another node migrated, e.g. a column added to a table read with `select *`): "cached
 * plan must not change result type", SQLSTATE 0A000. The statement is dead on that
 * connection for good.
 */
function isStalePlan(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan');
}

/**
 * Kysely calls `client.query(sql, parameters)`; a text with a name goes as
 * `{ name, text, values }` instead, which pg prepares once per connection and then only
 * binds and executes: PostgreSQL skips parsing and planning it again.
 *
 * Only statements outside a transaction are named (the connection follows the begin and
 * commit Kysely sends through it). That is where the reads of every request are, and it
 * makes a stale plan harmless: the failed statement changed nothing and no transaction
 * was aborted, so the connection starts a new generation of names (statements are
 * prepared again as they are next used) and runs the query again, once.
 */
function nameQueries(client: pg.Client, names: PreparedStatementNames): void {
  const query = client.query as unknown as QueryFunction;
  let inTransaction = false;
  let generation = '';
  let generations = 0;
  const named: QueryFunction = function (this: pg.Client, ...args) {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || callback !== undefined) return query.apply(this, args);
    if (inTransaction) {
      if (ENDS.test(text)) inTransaction = false;
      return query.apply(this, args);
    }
    if (BEGINS.test(text)) {
      inTransaction = true;
      return query.apply(this, args);
    }
    // Without parameters pg sends the simple protocol, which also runs several statements in one text; those stay as they are.
    const name = values.length > 0 ? names.nameOf(text) : undefined;
    if (name === undefined) return query.apply(this, args);
    const run = () => query.call(this, { name: name + generation, text, values }) as Promise<unknown>;
    return run().catch((error: unknown) => {
      if (!isStalePlan(error)) throw error;
      generation = `_${(++generations).toString(36)}`;
      return run();
    });
  };
  (client as unknown as { query: QueryFunction }).query = named;
}

/**
 * A pool whose idle connections may die (a PostgreSQL restart, a failover, an admin ending
 * backends): pg reports that as an 'error' event on the pool, which without a listener
 * would take the whole process down. The pool has already dropped the connection; the
 * next query opens a new one, so reporting it is all there is to do.
 *
 * Repeated queries run as named prepared statements once `preparedStatements.enable()` is
 * called (see PreparedStatementNames).
 */
export function createPostgresDialect(
  connectionString: string,
  onIdleConnectionLost: (error: Error) => void,
  poolSize = 10,
): { dialect: PostgresDialect; preparedStatements: PreparedStatementNames } {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  pool.on('error', onIdleConnectionLost);
  const preparedStatements = new PreparedStatementNames();
  pool.on('connect', (client) => nameQueries(client, preparedStatements));
  return { dialect: new PostgresDialect({ pool }), preparedStatements };
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthorizationCacheStats } from '../domain/access/authorization-store.ts';

/** Connections of the database pool right now. */
export interface PoolStats {
  inUse: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/** What the gauges read when scraped; each absent source leaves its gauge out. */
export interface MetricsSources {
  /** Mail messages waiting for delivery and given up on: one query per scrape. */
  outbox?: () => Promise<{ pending: number; failed: number }>;
  pool?: () => PoolStats;
  /** The node's cache of authorization facts (AuthorizationStore.cacheStats). */
  authorizationCache?: () => AuthorizationCacheStats;
  /** Node's own metrics (CPU, memory, event loop, GC); off for throwaway servers. */
  processMetrics?: boolean;
}

/** Where an authorization was decided: at the route (its declared permission), or inside a command (the domain's re-check). */
export type DecisionStage = 'route' | 'command';

export type SignInMethod = 'password' | 'two_factor' | 'sso';
export type SignInOutcome = 'success' | 'failure' | 'throttled' | 'two_factor_challenge';

/**
 * The metrics of one server, in a registry of its own (not prom-client's global one), so
 * several servers in one process, as in the tests, never share or clash.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'sophon_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern (not the raw URL) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly authorizationDecisions = new Counter({
    name: 'sophon_authorization_decisions_total',
    help: 'Permission checks by stage (route: the permission the route declares; command: the re-check inside a command), permission and outcome (granted, denied)',
    labelNames: ['stage', 'permission', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signIns = new Counter({
    name: 'sophon_sign_ins_total',
    help: 'Sign-in attempts by method (password, two_factor, sso) and outcome (success, failure, throttled, two_factor_challenge)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    if (sources.processMetrics) collectDefaultMetrics({ register: this.registry });
    const { outbox, pool, authorizationCache } = sources;
    if (authorizationCache) {
      new Counter({
        name: 'sophon_authorization_cache_requests_total',
        help: "Authenticated requests by whether this node gave its kept authorization facts again (hit) or read them from the database (miss: first seen, or something that can alter a decision changed)",
        labelNames: ['result'] as const,
        registers: [this.registry],
        collect() {
          const stats = authorizationCache();
          this.reset();
          this.inc({ result: 'hit' }, stats.hits);
          this.inc({ result: 'miss' }, stats.misses);
        },
      });
      new Counter({
        name: 'sophon_authorization_version_reads_total',
        help: 'Reads of the version kept authorization facts are checked against (SQLite: the change counters; PostgreSQL: the authorization epoch, one read shared by the requests waiting for it)',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(authorizationCache().versionReads);
        },
      });
      new Gauge({
        name: 'sophon_authorization_cache_entries',
        help: 'Credentials whose authorization facts this node keeps',
        registers: [this.registry],
        collect() {
          this.set(authorizationCache().kept);
        },
      });
    }
    if (outbox) {
      new Gauge({
        name: 'sophon_mail_outbox_messages',
        help: 'Mail messages in the outbox by status: pending (waiting for delivery or a retry) and failed (given up on)',
        labelNames: ['status'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          // A database that doesn't answer leaves the gauge empty rather than failing the whole scrape (GET /readyz says why).
          const counts = await outbox().catch(() => undefined);
          if (!counts) return;
          this.set({ status: 'pending' }, counts.pending);
          this.set({ status: 'failed' }, counts.failed);
        },
      });
    }
    if (pool) {
      new Gauge({
        name: 'sophon_database_pool_connections',
        help: 'Database connections of this server by state (in_use, idle)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = pool();
          this.set({ state: 'in_use' }, stats.inUse);
          this.set({ state: 'idle' }, stats.idle);
        },
      });
      new Gauge({
        name: 'sophon_database_pool_waiting',
        help: 'Queries waiting for a database connection',
        registers: [this.registry],
        collect() {
          this.set(pool().waiting);
        },
      });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

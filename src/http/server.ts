import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { bootstrap, type BootstrapResult } from '../bootstrap.ts';
import { type ServerConfig } from '../config/config.ts';
import { authenticationSettingsOf } from '../config/authentication.ts';
import { ssoSettingsOf } from '../config/sso.ts';
import { maxElevationOf } from '../config/rbac.ts';
import { loadMasterKey } from '../domain/two-factor/master-key.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { createServices, type Services } from '../domain/services.ts';
import { migrate, openDatabase, type OpenedDatabase } from '../storage/open-database.ts';
import { createSqlStore } from '../storage/sql-store.ts';
import { buildApp } from './app.ts';
import type { AnyRoute } from './route.ts';
import { ssoRedirectUri } from './routes/sso.ts';
import { OutboxWorker } from '../domain/mail/outbox-worker.ts';
import { createSmtpSender } from '../mail/smtp-sender.ts';
import { appliedMigrations, outboxCounts, readinessProbe } from '../observability/database-probes.ts';
import { requestLoggerOptions, type LogDestination } from '../observability/logging.ts';
import { Metrics } from '../observability/metrics.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  database: OpenedDatabase;
  bootstrap: BootstrapResult;
  /** Delivers invitation and reset mail; present when Sophon:Smtp is configured. */
  outbox: OutboxWorker | undefined;
  metrics: Metrics;
  url: string;
  /** The unauthenticated listener for scrapers (Sophon:Metrics:Listen), when configured. */
  metricsUrl: string | undefined;
  /** Stops accepting, finishes the requests in flight, stops the outbox worker, closes the database; safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Request logs as JSON lines at Sophon:Logging:Level: to stdout (true), into `destination`, or none (false, the default). */
  logger?: boolean | { destination: LogDestination };
  print?: (line: string) => void;
  outboxPollMs?: number;
  routes?: readonly AnyRoute[];
  /** Check every answer against its route's response schema (AppOptions.checkResponses); tests do. */
  checkResponses?: boolean;
}

/** Opens the database, migrates, bootstraps on first start, and listens. */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, report: (line) => print(`Sophon Identity: ${line}`) });
  try {
    await migrate(database.db);
    // What /readyz expects to find still recorded: every migration applied by now.
    const migrations = await appliedMigrations(database.db);
    const store = createSqlStore(database.db, database.engine, {
      authorizationCache: { watch: database.changes, now: () => clock.now().toISOString() },
    });
    const auth = config.settings.Sophon.Auth;
    // The key that seals TOTP secrets: configured, or a 0600 file under the data directory. Never fatal (see master-key.ts).
    const masterKey = loadMasterKey({ configured: auth.TwoFactor.EncryptionKey, dataDir: config.dataDir, sealedKeyIds: await store.twoFactor.countByKey() });
    for (const note of masterKey.notes) print(`Sophon Identity: ${note}`);
    const services = createServices({
      store,
      clock,
      masterKey: masterKey.state,
      settings: {
        passwordMinLength: auth.Password.MinLength,
        maxCustomRolesPerTenant: config.settings.Sophon.Rbac.MaxCustomRolesPerTenant,
        maxElevation: maxElevationOf(config.settings),
        sessionIdleTimeout: auth.IdleTimeout,
        sessionAbsoluteTimeout: auth.AbsoluteTimeout,
        initialPasswordLifetime: auth.InitialPasswordLifetime,
        invitationLifetime: auth.InvitationLifetime,
        passwordResetLifetime: auth.PasswordResetLifetime,
        publicUrl: config.settings.Sophon.PublicUrl ?? `http://${config.host}:${config.port}`,
        mailEnabled: config.settings.Sophon.Smtp !== undefined,
        authentication: authenticationSettingsOf(config.settings),
        sso: ssoSettingsOf(config.settings),
      },
    });
    const bootstrapped = await bootstrap(store, clock, config.bootstrapAdminEmail);
    if (bootstrapped.admin) {
      print(`Sophon Identity: created tenant "default" and Admin ${bootstrapped.admin.email}`);
      print(`Sophon Identity: one-time password: ${bootstrapped.admin.oneTimePassword}`);
      print('Sophon Identity: it is shown only this once and must be changed at first login.');
    }
    const smtp = config.settings.Sophon.Smtp;
    const outbox = smtp
      ? new OutboxWorker(store, clock, await createSmtpSender({ host: smtp.Host, port: smtp.Port, tls: smtp.Tls, from: smtp.From, username: smtp.Username, password: smtp.Password }))
      : undefined;
    let delivering = false;
    const outboxTimer = outbox
      ? setInterval(() => {
          if (delivering) return;
          delivering = true;
          outbox
            .runOnce()
            .catch((error: unknown) => print(`Sophon Identity: mail delivery pass failed: ${(error as Error).message}`))
            .finally(() => (delivering = false));
        }, options.outboxPollMs ?? 1000)
      : undefined;
    outboxTimer?.unref();
    const metrics = new Metrics({
      outbox: () => outboxCounts(database.db),
      // SQLite: one connection, opened at start and held; queries queue inside Kysely, unseen. PostgreSQL's pool isn't reachable from here yet.
      pool: database.engine === 'sqlite' ? () => ({ inUse: 1, idle: 0, waiting: 0 }) : undefined,
      authorizationCache: store.authorization.cacheStats,
      processMetrics: true,
    });
    const level = config.settings.Sophon.Logging.Level;
    const logger = options.logger === true ? requestLoggerOptions(level) : options.logger ? requestLoggerOptions(level, options.logger.destination) : false;
    const app = await buildApp({
      services,
      logger,
      cookieSecure: auth.CookieSecure,
      trustProxy: config.settings.Sophon.Http.TrustProxy,
      routes: options.routes,
      checkResponses: options.checkResponses,
      observability: { metrics, readiness: readinessProbe(database.db, migrations) },
    });
    const listen = config.settings.Sophon.Metrics.Listen;
    let address: string;
    let scrapeServer: Awaited<ReturnType<typeof listenForScrapers>> | undefined;
    try {
      address = await app.listen({ host: config.host, port: config.port });
      scrapeServer = listen
        ? await listenForScrapers(metrics, listen).catch((error: unknown) => {
            throw new Error(`Sophon:Metrics:Listen: cannot listen on ${listen.host}:${listen.port}: ${(error as Error).message}`);
          })
        : undefined;
    } catch (error) {
      clearInterval(outboxTimer);
      await app.close();
      throw error;
    }
    // Without Sophon:PublicUrl, links point to the address actually listened on (the port may have been 0).
    if (!config.settings.Sophon.PublicUrl) services.context.settings.publicUrl = address;
    print(`Sophon Identity listening on ${address} (${database.engine}: ${database.location})`);
    // Import jobs a stopped server left unfinished go on where they stopped.
    services.importJobs.resumeUnfinished().catch((error: unknown) => print(`Sophon Identity: could not resume import jobs: ${(error as Error).message}`));
    if (scrapeServer) print(`Sophon Identity: metrics for scrapers, without authentication, on ${scrapeServer.url}/metrics`);
    if (services.sso.enabled) {
      print(`Sophon Identity: single sign-on through ${auth.Sso.Issuer}; register the redirect URI ${ssoRedirectUri(services)} with the provider.`);
      for (const note of await services.sso.checkConfiguration()) print(`Sophon Identity: SSO warning: ${note}`);
    }
    let closing: Promise<void> | undefined;
    return {
      app,
      services,
      database,
      bootstrap: bootstrapped,
      outbox,
      metrics,
      url: address,
      metricsUrl: scrapeServer?.url,
      close() {
        closing ??= (async () => {
          clearInterval(outboxTimer);
          // Fastify stops accepting, answers 503 to new requests on open connections, and waits for those in flight;
          // a keep-alive connection would stay open after its last answer until it times out, so each is closed as it goes idle.
          const closeIdle = setInterval(() => app.server.closeIdleConnections(), 50);
          await Promise.all([
            app.close().finally(() => clearInterval(closeIdle)),
            scrapeServer?.close(),
            (async () => {
              while (delivering) await new Promise((resolve) => setTimeout(resolve, 10));
            })(),
          ]);
          // An import job finishes the batch in flight; the rest waits for the next start.
          await services.importJobs.stop();
          await database.db.destroy();
        })();
        return closing;
      },
    };
  } catch (error) {
    await database.db.destroy().catch(() => undefined);
    throw error;
  }
}

/** A listener that answers GET /metrics without authentication and nothing else: bind it where only the scraper reaches. */
async function listenForScrapers(metrics: Metrics, at: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here.\n');
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`Could not collect the metrics: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

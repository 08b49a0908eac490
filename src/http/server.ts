import type { FastifyInstance } from 'fastify';
import { bootstrap, type BootstrapResult } from '../bootstrap.ts';
import { type ServerConfig } from '../config/config.ts';
import { authenticationSettingsOf } from '../config/authentication.ts';
import { ssoSettingsOf } from '../config/sso.ts';
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

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  database: OpenedDatabase;
  bootstrap: BootstrapResult;
  /** Delivers invitation and reset mail; present when Sophon:Smtp is configured. */
  outbox: OutboxWorker | undefined;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, bootstraps on first start, and listens. */
export async function startServer(
  config: ServerConfig,
  options: { clock?: Clock; logger?: boolean; print?: (line: string) => void; outboxPollMs?: number; routes?: readonly AnyRoute[] } = {},
): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, report: (line) => print(`Sophon Identity: ${line}`) });
  try {
    await migrate(database.db);
    const store = createSqlStore(database.db, database.engine);
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
      ? new OutboxWorker(store, clock, createSmtpSender({ host: smtp.Host, port: smtp.Port, tls: smtp.Tls, from: smtp.From, username: smtp.Username, password: smtp.Password }))
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
    const app = await buildApp({ services, logger: options.logger ?? false, cookieSecure: auth.CookieSecure, trustProxy: config.settings.Sophon.Http.TrustProxy, routes: options.routes });
    const address = await app.listen({ host: config.host, port: config.port });
    // Without Sophon:PublicUrl, links point to the address actually listened on (the port may have been 0).
    if (!config.settings.Sophon.PublicUrl) services.context.settings.publicUrl = address;
    print(`Sophon Identity listening on ${address} (${database.engine}: ${database.location})`);
    if (services.sso.enabled) {
      print(`Sophon Identity: single sign-on through ${auth.Sso.Issuer}; register the redirect URI ${ssoRedirectUri(services)} with the provider.`);
      for (const note of await services.sso.checkConfiguration()) print(`Sophon Identity: SSO warning: ${note}`);
    }
    return {
      app,
      services,
      database,
      bootstrap: bootstrapped,
      outbox,
      url: address,
      async close() {
        clearInterval(outboxTimer);
        while (delivering) await new Promise((resolve) => setTimeout(resolve, 10));
        await app.close();
        await database.db.destroy();
      },
    };
  } catch (error) {
    await database.db.destroy().catch(() => undefined);
    throw error;
  }
}

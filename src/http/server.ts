import type { FastifyInstance } from 'fastify';
import { bootstrap, type BootstrapResult } from '../bootstrap.ts';
import { type ServerConfig } from '../config/config.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { createServices, type Services } from '../domain/services.ts';
import { migrate, openDatabase, type OpenedDatabase } from '../storage/open-database.ts';
import { createSqlStore } from '../storage/sql-store.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  database: OpenedDatabase;
  bootstrap: BootstrapResult;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, bootstraps on first start, and listens. */
export async function startServer(config: ServerConfig, options: { clock?: Clock; logger?: boolean; print?: (line: string) => void } = {}): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database.db);
    const store = createSqlStore(database.db, database.engine);
    const auth = config.settings.Sophon.Auth;
    const services = createServices({
      store,
      clock,
      settings: {
        passwordMinLength: auth.Password.MinLength,
        maxCustomRolesPerTenant: config.settings.Sophon.Rbac.MaxCustomRolesPerTenant,
        sessionIdleTimeout: auth.IdleTimeout,
        sessionAbsoluteTimeout: auth.AbsoluteTimeout,
      },
    });
    const bootstrapped = await bootstrap(store, clock, config.bootstrapAdminEmail);
    if (bootstrapped.admin) {
      print(`Sophon Identity: created tenant "default" and Admin ${bootstrapped.admin.email}`);
      print(`Sophon Identity: one-time password: ${bootstrapped.admin.oneTimePassword}`);
      print('Sophon Identity: it is shown only this once and must be changed at first login.');
    }
    const app = await buildApp({ services, logger: options.logger ?? false, cookieSecure: auth.CookieSecure });
    const address = await app.listen({ host: config.host, port: config.port });
    print(`Sophon Identity listening on ${address} (${database.engine}: ${database.location})`);
    return {
      app,
      services,
      database,
      bootstrap: bootstrapped,
      url: address,
      async close() {
        await app.close();
        await database.db.destroy();
      },
    };
  } catch (error) {
    await database.db.destroy().catch(() => undefined);
    throw error;
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAppSettings, type ServerConfig } from '../../src/config/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import type { Engine } from '../../src/storage/open-database.ts';
import type { AnyRoute } from '../../src/http/route.ts';
import { ApiClient, login } from './api-client.ts';
import { createPostgresDatabase } from './postgres.ts';

export const engines: Engine[] = ['sqlite', 'postgres'];

export const ADMIN_EMAIL = 'admin@sophon.local';
export const ADMIN_PASSWORD = 'admin password for tests';

export interface TestDatabase {
  engine: Engine;
  dataDir: string;
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, empty database of the engine: a temporary SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sophon-test-'));
  const postgres = engine === 'postgres' ? await createPostgresDatabase() : undefined;
  return {
    engine,
    dataDir,
    databaseUrl: postgres?.url,
    async drop() {
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestServer {
  engine: Engine;
  url: string;
  clock: ManualClock;
  server: RunningServer;
  /** Lines the server printed (the bootstrap password among them). */
  printed: string[];
  /**
   * The bootstrap Admin (password already changed to ADMIN_PASSWORD), through a
   * five-year API token, so tests that move the clock by days keep their admin.
   */
  admin: ApiClient;
  /** The same Admin through a cookie session (with its CSRF token). */
  adminSession: ApiClient;
  anonymous: ApiClient;
  login(email: string, password: string): ReturnType<typeof login>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** `Sophon__…` settings and SOPHON_* variables, as the environment would give them. */
  environment?: Record<string, string>;
  database?: TestDatabase;
  /** Leave the bootstrap Admin with the one-time password, not yet changed. */
  keepOneTimePassword?: boolean;
  /** Replaces the route table (the permission matrix's second pass drops every route's own check). */
  routes?: readonly AnyRoute[];
}

/** Token names are unique per user (issue 12): a server started again on the same database gives the admin another. */
let harnessTokens = 0;

/** Starts the real server on a loopback port over a fresh database, with a clock the test controls. */
export async function startTestServer(engine: Engine, options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(engine));
  const clock = new ManualClock(new Date());
  const printed: string[] = [];
  const environment = { ...options.environment };
  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    bootstrapAdminEmail: ADMIN_EMAIL,
    settings: loadAppSettings(environment, database.dataDir),
  };
  // Every answer is checked against its route's response schema: drift fails the test that meets it.
  const server = await startServer(config, { clock, print: (line) => printed.push(line), outboxPollMs: 50, routes: options.routes, checkResponses: true });
  const url = server.url;
  let admin = new ApiClient(url);
  const oneTime = server.bootstrap.admin?.oneTimePassword;
  if (oneTime && !options.keepOneTimePassword) {
    const first = await login(url, ADMIN_EMAIL, oneTime);
    const changed = await first.client.post('/api/v1/auth/password', { currentPassword: oneTime, newPassword: ADMIN_PASSWORD });
    if (changed.status !== 200) throw new Error(`could not change the bootstrap password: ${JSON.stringify(changed.body)}`);
    admin = first.client;
  } else if (!oneTime) {
    admin = (await login(url, ADMIN_EMAIL, ADMIN_PASSWORD)).client;
  }
  const token = options.keepOneTimePassword ? undefined : await admin.post('/api/v1/me/tokens', { name: `test harness ${++harnessTokens}`, expiresIn: '1825d' });
  if (token && token.status !== 201) throw new Error(`could not create the admin's token: ${JSON.stringify(token.body)}`);
  return {
    engine,
    url,
    clock,
    server,
    printed,
    admin: token ? new ApiClient(url, { token: token.body.secret }) : admin,
    adminSession: admin,
    anonymous: new ApiClient(url),
    login: (email, password) => login(url, email, password),
    async close() {
      await server.close();
      if (!options.database) await database.drop();
    },
  };
}

let counter = 0;
/** A unique email for this run. */
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${++counter}@example.test`;
export const USER_PASSWORD = 'a long enough password';

/**
 * Creates a user with a known password, signs them in and changes the password, returning
 * a client that acts as them (in `tenant` if given).
 */
export async function createSignedInUser(
  test: TestServer,
  input: { role?: string; tenant?: string; email?: string; displayName?: string },
  creator: ApiClient = test.admin,
): Promise<{ id: string; email: string; client: ApiClient }> {
  const email = input.email ?? uniqueEmail(input.role ?? 'user');
  const created = await creator.post('/api/v1/users', { email, displayName: input.displayName ?? email.split('@')[0], role: input.role, tenant: input.tenant, password: 'initial password 123' });
  if (created.status !== 201) throw new Error(`could not create ${email}: ${created.status} ${JSON.stringify(created.body)}`);
  const signedIn = await test.login(email, 'initial password 123');
  if (signedIn.response.status !== 200) throw new Error(`could not sign in as ${email}: ${signedIn.response.status} ${JSON.stringify(signedIn.response.body)}`);
  const changed = await signedIn.client.post('/api/v1/auth/password', { currentPassword: 'initial password 123', newPassword: USER_PASSWORD });
  if (changed.status !== 200) throw new Error(`could not change password: ${JSON.stringify(changed.body)}`);
  return { id: created.body.user.id, email, client: signedIn.client.inTenant(input.tenant) };
}

import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

describe.each(engines)('sophon exit codes and the client-side permission check on %s', (engine) => {
  let test: TestServer;
  let admin: ApiClient;
  let adminToken: string;
  let viewerToken: string;
  let viewerId: string;
  let target: { id: string; email: string };
  const config = temporaryConfig();
  const as = (token: string | undefined, ...args: string[]) => runCli(args, { env: { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file } });

  /** The refusals the server itself recorded for this user: none means no request for the change reached it. */
  const refusalsOf = async (userId: string, tenant?: string) => {
    const events = await admin.inTenant(tenant).get(`/api/v1/audit?category=authz&user=${userId}`);
    return events.body.items.filter((event: { action: string }) => event.action === 'permission.denied');
  };

  beforeAll(async () => {
    test = await startTestServer(engine);
    adminToken = await tokenFor(test.admin);
    admin = new ApiClient(test.url, { token: adminToken });
    await admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme Corp' });
    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    viewerId = viewer.id;
    viewerToken = await tokenFor(viewer.client);
    const created = await admin.post('/api/v1/users', { email: uniqueEmail('target'), displayName: 'Target', role: 'Viewer' });
    target = { id: created.body.user.id, email: created.body.user.email };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('stops a Viewer with exit 3, naming the permission and the tenant, before sending the change', async () => {
    const result = await as(viewerToken, 'admin', 'users', 'suspend', target.email);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('ManageUsers');
    expect(result.stderr).toContain('tenant "default"');
    expect(result.stderr).toContain('your role there is Viewer');
    expect((await admin.get(`/api/v1/users/${target.id}`)).body.status).toBe('active');
    expect(await refusalsOf(viewerId)).toEqual([]);

    // The same change sent straight to the API is refused and recorded: the check above kept it from being sent.
    expect((await new ApiClient(test.url, { token: viewerToken }).post(`/api/v1/users/${target.id}/suspend`)).status).toBe(403);
    expect(await refusalsOf(viewerId)).toHaveLength(1);
  });

  it('checks in the tenant given by --tenant, and installation-wide permissions in "default"', async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' }, admin.inTenant('acme'));
    const acmeAdminToken = await tokenFor(acmeAdmin.client);

    const createTenant = await as(acmeAdminToken, '--tenant', 'acme', 'admin', 'tenants', 'create', 'rogue', '--name', 'Rogue');
    expect(createTenant.code).toBe(3);
    expect(createTenant.stderr).toContain('ManageTenants');
    expect(createTenant.stderr).toContain('tenant "default"');
    expect((await admin.get('/api/v1/tenants')).body.items.map((tenant: { slug: string }) => tenant.slug)).not.toContain('rogue');

    const viewerInAcme = await as(viewerToken, 'admin', 'roles', 'create', 'sneaky', '--permission', 'ViewUsers', '--tenant', 'acme');
    expect(viewerInAcme.code).toBe(4); // the viewer has no role in acme: it doesn't exist for them
    const viewerRole = await as(viewerToken, 'admin', 'roles', 'create', 'sneaky', '--permission', 'ViewUsers');
    expect(viewerRole.code).toBe(3);
    expect(viewerRole.stderr).toContain('ManageRoles');
    expect((await admin.get('/api/v1/roles')).body.items.map((role: { name: string }) => role.name)).not.toContain('sneaky');
    expect(await refusalsOf(acmeAdmin.id, 'acme')).toEqual([]);
    expect(await refusalsOf(acmeAdmin.id)).toEqual([]);
  });

  it('--json prints the API objects unchanged', async () => {
    const [users, whoami, roles] = await Promise.all([
      as(adminToken, 'admin', 'users', 'list', '--json'),
      as(viewerToken, 'auth', 'whoami', '--json'),
      as(adminToken, '--json', 'admin', 'roles', 'list'),
    ]);
    expect(users.json()).toEqual((await admin.get('/api/v1/users')).body);
    expect(whoami.json()).toEqual((await new ApiClient(test.url, { token: viewerToken }).get('/api/v1/me')).body);
    expect(roles.json()).toEqual((await admin.get('/api/v1/roles')).body);
    const audit = await as(adminToken, 'admin', 'audit', 'list', '--category', 'rbac', '--user', target.email, '--since', '1d', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.json().items.map((event: { action: string }) => event.action)).toEqual(['role.assigned']);
  });

  it('refuses a destructive command with no terminal and no --yes (exit 2), and deletes nothing', async () => {
    const result = await as(adminToken, 'admin', 'users', 'delete', target.email);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect((await admin.get(`/api/v1/users/${target.id}`)).status).toBe(200);
  });

  it('answers exit 4 for what does not exist, 1 for a conflict, 3 when not signed in, 5 when the server is unreachable', async () => {
    const [byEmail, byId, token, tenant, conflict, anonymous, unreachable] = await Promise.all([
      as(adminToken, 'admin', 'users', 'show', 'nobody@example.test'),
      as(adminToken, 'admin', 'users', 'show', '00000000-0000-0000-0000-000000000000'),
      as(adminToken, 'admin', 'tokens', 'revoke', '00000000-0000-0000-0000-000000000000'),
      as(adminToken, '--tenant', 'nowhere', 'auth', 'whoami'),
      as(adminToken, 'admin', 'tenants', 'create', 'acme', '--name', 'Acme again'),
      as(undefined, 'admin', 'users', 'list'),
      runCli(['--url', 'http://127.0.0.1:1', 'auth', 'whoami'], { env: { SOPHON_TOKEN: adminToken, SOPHON_CLI_CONFIG: config.file } }),
    ]);
    expect([byEmail.code, byId.code, token.code, tenant.code]).toEqual([4, 4, 4, 4]);
    expect(byEmail.stderr).toContain('nobody@example.test');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('TENANT_SLUG_TAKEN');
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toContain('sophon auth login');
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain('cannot reach');
  });

  it('never sends the stored token to a server other than the one it was made by', async () => {
    const seen: Array<string | undefined> = [];
    const other = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"AUTHENTICATION_REQUIRED","message":"who are you?"}}');
    });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const { port } = other.address() as { port: number };
    const own = temporaryConfig();
    mkdirSync(path.dirname(own.file), { recursive: true });
    const login = { url: test.url, token: adminToken, tokenId: 'x', tokenExpiresAt: null, userId: 'x', email: 'x', savedAt: new Date().toISOString() };
    writeFileSync(own.file, JSON.stringify({ version: 1, current: test.url, logins: { [test.url]: login } }), { mode: 0o600 });
    try {
      const mine = await runCli(['auth', 'whoami', '--json'], { env: { SOPHON_CLI_CONFIG: own.file } });
      expect(mine.code, mine.stderr).toBe(0);
      const elsewhere = await runCli(['--url', `http://127.0.0.1:${port}`, 'auth', 'whoami'], { env: { SOPHON_CLI_CONFIG: own.file } });
      expect(elsewhere.code).toBe(3);
      expect(seen).toEqual([undefined]);
    } finally {
      other.close();
      own.remove();
    }
  });
});

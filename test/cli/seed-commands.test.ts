import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { runCli, tokenFor, temporaryConfig } from './run-cli.ts';

const DAY = 86_400_000;
const INITIAL_PASSWORD = 'initial password 123';

/**
 * The "done when" story, every step with the seed's exact command line, each
 * checked through the API rather than through the CLI's own output.
 */
describe.each(engines)('the seed commands on %s', (engine) => {
  let test: TestServer;
  let admin: ApiClient;
  let env: Record<string, string>;
  const config = temporaryConfig();
  const sophon = (...args: string[]) => runCli(args, { env });

  let userId: string;
  let userEmail: string;

  beforeAll(async () => {
    test = await startTestServer(engine);
    // A token rather than the session: the clock moves 31 days forward below.
    const token = await tokenFor(test.admin, '365d');
    admin = new ApiClient(test.url, { token });
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('creates a tenant, a global custom role and a user', async () => {
    const tenant = await sophon('admin', 'tenants', 'create', 'acme', '--name', 'Acme Corp');
    expect(tenant.code, tenant.stderr).toBe(0);
    expect((await admin.get('/api/v1/tenants')).body.items.map((item: { slug: string }) => item.slug)).toContain('acme');

    const role = await sophon('admin', 'roles', 'create', 'workflow-editor', '--scope', 'global', '--permission', 'ViewUsers,ManageWorkflows,ManageCronJobs', '--permission', 'ManageWebhooks', '--permission', 'ApproveActions,ViewAuditLogs', '--json');
    expect(role.code, role.stderr).toBe(0);
    expect(role.json()).toMatchObject({ name: 'workflow-editor', scope: 'global' });
    const stored = await admin.get(`/api/v1/roles/${role.json().id}`);
    expect(stored.body.permissions.sort()).toEqual(['ApproveActions', 'ManageCronJobs', 'ManageWebhooks', 'ManageWorkflows', 'ViewAuditLogs', 'ViewUsers']);

    userEmail = uniqueEmail('jane');
    const user = await sophon('admin', 'users', 'create', '--email', userEmail, '--name', 'Jane Doe', '--password', INITIAL_PASSWORD, '--json');
    expect(user.code, user.stderr).toBe(0);
    userId = user.json().user.id;
    expect((await admin.get(`/api/v1/users/${userId}`)).body).toMatchObject({ email: userEmail, role: 'Viewer' });
  });

  it('sophon admin users set-role <user-id> --role workflow-editor', async () => {
    const result = await sophon('admin', 'users', 'set-role', userId, '--role', 'workflow-editor');
    expect(result.code, result.stderr).toBe(0);
    expect((await admin.get(`/api/v1/users/${userId}`)).body.role).toBe('workflow-editor');
  });

  it('sophon admin users set-role <user-id> --role admin --tenant acme', async () => {
    const result = await sophon('admin', 'users', 'set-role', userId, '--role', 'admin', '--tenant', 'acme', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ id: userId, role: 'Admin' });
    expect((await admin.inTenant('acme').get(`/api/v1/users/${userId}`)).body.role).toBe('Admin');
  });

  it('sophon admin users effective-permissions <user-id>', async () => {
    const human = await sophon('admin', 'users', 'effective-permissions', userId);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/default\s+workflow-editor/);
    expect(human.stdout).toMatch(/acme\s+Admin/);

    const json = await sophon('admin', 'users', 'effective-permissions', userId, '--json');
    expect(json.json()).toEqual((await admin.get(`/api/v1/users/${userId}/effective-permissions`)).body);
  });

  let userClient: ApiClient;
  let workflowId: string;

  it('sophon auth tokens create --name ci-deploy --expires 365d (as the user, after logging in with the CLI)', async () => {
    const own = temporaryConfig();
    const asUser = (...args: string[]) => runCli(args, { env: { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: own.file } });
    const login = await runCli(['auth', 'login', '--email', userEmail, '--password-stdin'], {
      env: { SOPHON_URL: test.url, SOPHON_CLI_CONFIG: own.file },
      input: `${INITIAL_PASSWORD}\nJane's own new password\n`,
    });
    expect(login.code, login.stderr).toBe(0);

    const created = await asUser('auth', 'tokens', 'create', '--name', 'ci-deploy', '--expires', '365d', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { token, secret } = created.json();
    expect(token.name).toBe('ci-deploy');
    expect(Date.parse(token.expiresAt) - Date.parse(token.createdAt)).toBe(365 * DAY);
    userClient = new ApiClient(test.url, { token: secret });
    expect((await userClient.get('/api/v1/me')).body.user.id).toBe(userId);
    own.remove();

    const workflow = await userClient.post('/api/v1/workflows', { name: 'nightly' });
    expect(workflow.status).toBe(201);
    workflowId = workflow.body.id;
  });

  it('sophon admin tokens list --user <id>, then sophon admin tokens revoke <token-id>', async () => {
    const list = await sophon('admin', 'tokens', 'list', '--user', userId, '--json');
    expect(list.code, list.stderr).toBe(0);
    const ciDeploy = list.json().items.find((token: { name: string }) => token.name === 'ci-deploy');
    expect(ciDeploy).toBeDefined();
    const human = await sophon('admin', 'tokens', 'list', '--user', userId);
    expect(human.stdout).toContain('ci-deploy');

    const revoke = await sophon('admin', 'tokens', 'revoke', ciDeploy.id);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await userClient.get('/api/v1/me')).status).toBe(401);
  });

  it('sophon admin users logout <user-id>', async () => {
    const { client: session } = await test.login(userEmail, "Jane's own new password");
    expect((await session.get('/api/v1/me')).status).toBe(200);
    const result = await sophon('admin', 'users', 'logout', userId, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json().endedSessions).toBeGreaterThanOrEqual(1);
    expect((await session.get('/api/v1/me')).status).toBe(401);
  });

  it('deletes the user, then sophon admin users reassign --from <old-id> --to <new-id>', async () => {
    const deleted = await sophon('admin', 'users', 'delete', userId, '--yes', '--json');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.json()).toEqual({ orphanedResources: 1 });
    expect((await admin.get(`/api/v1/users/${userId}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/workflows/${workflowId}`)).body).toMatchObject({ ownerId: null, previousOwnerId: userId });

    const heir = await admin.post('/api/v1/users', { email: uniqueEmail('heir'), displayName: 'Heir', role: 'Viewer' });
    const reassigned = await sophon('admin', 'users', 'reassign', '--from', userId, '--to', heir.body.user.id, '--json');
    expect(reassigned.code, reassigned.stderr).toBe(0);
    expect(reassigned.json()).toMatchObject({ reassigned: 1, tenants: [{ tenant: 'default', reassigned: 1 }], skipped: [], inOtherTenants: 0 });
    expect((await admin.get(`/api/v1/workflows/${workflowId}`)).body.ownerId).toBe(heir.body.user.id);
  });

  it('sophon admin users purge-orphans --older-than 30d: dry run, refusal without --yes, then purge', async () => {
    const leaver = await admin.post('/api/v1/users', { email: uniqueEmail('leaver'), displayName: 'Leaver', role: 'Viewer' });
    await admin.put(`/api/v1/users/${leaver.body.user.id}/role`, { role: 'workflow-editor' });
    const leaverToken = await tokenFor(await signInFresh(test, leaver.body.user.email, leaver.body.oneTimePassword));
    const orphan = await new ApiClient(test.url, { token: leaverToken }).post('/api/v1/workflows', { name: 'left behind' });
    expect(orphan.status).toBe(201);
    await admin.delete(`/api/v1/users/${leaver.body.user.id}`);

    const tooYoung = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d', '--dry-run', '--json');
    expect(tooYoung.json()).toMatchObject({ count: 0 });

    test.clock.advance(31 * DAY);
    const dryRun = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d', '--dry-run', '--json');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.json().items.map((item: { id: string }) => item.id)).toEqual([orphan.body.id]);

    const unconfirmed = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect((await admin.get(`/api/v1/workflows/${orphan.body.id}`)).status).toBe(200);

    const purged = await sophon('admin', 'users', 'purge-orphans', '--older-than', '30d', '--yes');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain('1 orphaned resource(s) purged');
    expect((await admin.get(`/api/v1/workflows/${orphan.body.id}`)).status).toBe(404);
    // The reassigned workflow has an owner again, so it is no orphan.
    expect((await admin.get(`/api/v1/workflows/${workflowId}`)).status).toBe(200);
  });
});

async function signInFresh(test: TestServer, email: string, oneTimePassword: string): Promise<ApiClient> {
  const { client } = await test.login(email, oneTimePassword);
  const changed = await client.post('/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: 'a fresh long passphrase' });
  if (changed.status !== 200) throw new Error(JSON.stringify(changed.body));
  return client;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, engines, startTestServer, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

const DAY = 86_400_000;

/** sophon admin users explain and sophon admin access-review, checked against the API. */
describe.each(engines)('sophon governance commands on %s', (engine) => {
  let test: TestServer;
  let env: Record<string, string>;
  const config = temporaryConfig();
  const sophon = (...args: string[]) => runCli(args, { env });
  const ok = async (...args: string[]) => {
    const result = await sophon(...args);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    test = await startTestServer(engine);
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: await tokenFor(test.admin, '365d'), SOPHON_CLI_CONFIG: config.file };
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme Corp' })).status).toBe(201);
  });
  afterAll(async () => {
    await test.close();
    config.remove();
  });

  it('users explain: a refusal names the reason and a role that would grant it, and who may assign it', async () => {
    const dana = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const refused = await ok('admin', 'users', 'explain', dana.email, 'ApproveActions', '--tenant', 'acme');
    expect(refused.stdout).toContain(`ApproveActions for ${dana.email} in tenant "acme": REFUSED`);
    expect(refused.stdout).toContain('ROLE_LACKS_PERMISSION');
    expect(refused.stdout).toMatch(/role Operator: ask .*admin@sophon\.local/);
    expect(refused.stdout).toContain(`sophon admin users set-role ${dana.id} --role Operator --tenant acme`);

    // --json is the API's answer, unchanged.
    const json = (await ok('admin', 'users', 'explain', dana.id, 'approveactions', '--tenant', 'acme', '--json')).json();
    expect(json).toEqual((await test.admin.inTenant('acme').get(`/api/v1/users/${dana.id}/explain?permission=ApproveActions`)).body);

    await ok('admin', 'users', 'set-role', dana.id, '--role', 'Operator', '--tenant', 'acme');
    const granted = await ok('admin', 'users', 'explain', dana.id, 'ApproveActions', '--tenant', 'acme');
    expect(granted.stdout).toContain('GRANTED');
    expect(granted.stdout).toMatch(/through role Operator in tenant "acme", assigned .* by admin@sophon\.local; audit: role\.assigned .* by admin@sophon\.local; not time-bound/);
  });

  it('users explain without a permission: every permission with its decision', async () => {
    const dana = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    const all = await ok('admin', 'users', 'explain', dana.id, '--tenant', 'acme');
    expect(all.stdout).toMatch(/ViewUsers\s+acme\s+granted\s+role Viewer/);
    expect(all.stdout).toMatch(/ManageUsers\s+acme\s+refused\s+ROLE_LACKS_PERMISSION\s+Admin/);
    expect(all.stdout).toMatch(/ManageTenants\s+default\s+refused\s+NO_ROLE_IN_TENANT/);
  });

  it('users explain: exit 4 for a user of another tenant, exit 3 without ViewUsers, exit 2 for an unknown permission', async () => {
    const elsewhere = await createSignedInUser(test, { role: 'Viewer' });
    const notFound = await sophon('admin', 'users', 'explain', elsewhere.id, 'ViewUsers', '--tenant', 'acme');
    expect(notFound.code).toBe(4);
    expect(notFound.stderr).toContain('not found: No user');

    const operator = await createSignedInUser(test, { role: 'Operator', tenant: 'acme' });
    const refused = await runCli(['admin', 'users', 'explain', elsewhere.id, 'ViewUsers'], { env: { ...env, SOPHON_TOKEN: await tokenFor(operator.client) } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('needs the ViewUsers permission in tenant "acme"');

    const unknown = await sophon('admin', 'users', 'explain', elsewhere.id, 'FlyToTheMoon');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('FlyToTheMoon');
  });

  it('access-review: findings as a table, as JSON and as CSV, of the acting tenant or, for an installation admin, any', async () => {
    const idle = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    test.clock.advance(100 * DAY);

    const table = await ok('admin', 'access-review', '--tenant', 'acme', '--stale', '90d');
    expect(table.stdout).toContain('Access review of tenant "acme"');
    expect(table.stdout).toMatch(new RegExp(`user_not_signed_in\\s+user:${idle.id}\\s+${idle.email.replace(/[.]/g, '\\.')}`));

    const json = (await ok('admin', 'access-review', '--tenant', 'acme', '--json')).json();
    expect(json.findings.some((finding: { kind: string; subject: { id: string } }) => finding.kind === 'user_not_signed_in' && finding.subject.id === idle.id)).toBe(true);

    const csv = await ok('admin', 'access-review', '--tenant', 'acme', '--csv');
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['kind', 'subject_type', 'subject_id', 'subject_email', 'subject_name', 'detail']);
    expect(rows).toContainEqual(expect.objectContaining({ kind: 'user_not_signed_in', subject_id: idle.id, subject_email: idle.email }));

    // An installation admin with no role in acme reviews it through ?tenant= (sent from default).
    const installation = await createSignedInUser(test, { role: 'Admin' });
    const other = await runCli(['admin', 'access-review', '--tenant', 'acme'], { env: { ...env, SOPHON_TOKEN: await tokenFor(installation.client) } });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('Access review of tenant "acme"');
    expect(other.stdout).toContain(idle.id);

    expect((await sophon('admin', 'access-review', '--csv', '--json')).code).toBe(2);
    expect((await sophon('admin', 'access-review', '--stale', 'soon')).code).toBe(2);
  });

  it('access-review: exit 3 without ViewAuditLogs, before anything is sent', async () => {
    const operator = await createSignedInUser(test, { role: 'Operator', tenant: 'acme' });
    const refused = await runCli(['admin', 'access-review'], { env: { ...env, SOPHON_TOKEN: await tokenFor(operator.client) } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('needs the ViewAuditLogs permission');
  });

  it('access-reviews: record with decisions (confirmed by --yes), list, show and export as CSV', async () => {
    const idle = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    test.clock.advance(2 * 60_000);
    const decide = `user_not_signed_in:${idle.id}=suspend`;
    // Changing something without a terminal to confirm it needs --yes (exit 2), and records nothing.
    expect((await sophon('admin', 'access-reviews', 'record', '--tenant', 'acme', '--stale', '1m', '--decide', decide)).code).toBe(2);
    expect((await sophon('admin', 'access-reviews', 'record', '--decide', 'nonsense')).code).toBe(2);

    const recorded = await ok('admin', 'access-reviews', 'record', '--tenant', 'acme', '--stale', '1m', '--decide', decide, '--note', 'Q4', '--yes');
    expect(recorded.stdout).toMatch(/Recorded access review \S+ of tenant "acme"/);
    expect(recorded.stdout).toMatch(new RegExp(`user_not_signed_in\\s+user:${idle.id}\\s+\\S+\\s+suspend\\s+applied`));
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${idle.id}`)).body.status).toBe('suspended');
    const id = /Recorded access review (\S+)/.exec(recorded.stdout)![1]!;

    const list = await ok('admin', 'access-reviews', 'list', '--tenant', 'acme');
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+.*admin@sophon\\.local\\s+1m\\s+\\d+\\s+1\\s+0\\s+Q4`));
    const shown = (await ok('admin', 'access-reviews', 'show', id, '--tenant', 'acme', '--json')).json();
    expect(shown).toEqual((await test.admin.inTenant('acme').get(`/api/v1/access-reviews/${id}`)).body);

    const file = path.join(path.dirname(path.dirname(config.file)), 'reviews.csv');
    await ok('admin', 'access-reviews', 'export', '--tenant', 'acme', '--out', file);
    const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toContainEqual(expect.objectContaining({ review_id: id, subject_id: idle.id, decision: 'suspend', outcome: 'applied' }));
  });
});

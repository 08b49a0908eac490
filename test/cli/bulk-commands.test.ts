import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { runCli, temporaryConfig, tokenFor } from './run-cli.ts';

/** `sophon admin users import users.csv`, `sophon admin users export --out users.csv` and the audit export, against a real server. */
describe.each(engines)('CSV commands on %s', (engine) => {
  let test: TestServer;
  let admin: ApiClient;
  let env: Record<string, string>;
  const config = temporaryConfig();
  const directory = mkdtempSync(path.join(tmpdir(), 'sophon-cli-csv-'));
  const file = (name: string, content?: string | Buffer) => {
    const where = path.join(directory, name);
    if (content !== undefined) writeFileSync(where, content);
    return where;
  };
  const sophon = (...args: string[]) => runCli(args, { env });
  const exists = async (email: string) => (await admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items.length > 0;

  beforeAll(async () => {
    test = await startTestServer(engine);
    const token = await tokenFor(test.admin, '30d');
    admin = new ApiClient(test.url, { token });
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: token, SOPHON_CLI_CONFIG: config.file };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  it('sophon admin users import users.csv: creates the valid rows, prints one-time passwords once, rejects the rest with exit 1', async () => {
    const good = uniqueEmail('csv-good');
    const bad = uniqueEmail('csv-bad');
    const users = file('users.csv', `email,displayName,role,tenant,password\n${good},Good Row,Operator,,\n${bad},Bad Row,no-such-role,,\n`);
    const result = await sophon('admin', 'users', 'import', users);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`2 +${good.replace(/\./g, '\\.')} +created .*one-time password: \\S+`));
    expect(result.stdout).toContain('ROLE_NOT_FOUND');
    expect(result.stdout).toContain('1 user(s) created, 1 row(s) rejected.');
    expect(result.stderr).toContain('1 of 2 row(s) rejected');
    expect((await admin.get(`/api/v1/users?search=${encodeURIComponent(good)}`)).body.items[0]).toMatchObject({ role: 'Operator' });
    expect(await exists(bad)).toBe(false);

    const oneTime = /one-time password: (\S+)/.exec(result.stdout)![1]!;
    expect((await test.login(good, oneTime)).response.body.mustChangePassword).toBe(true);
  });

  it('--dry-run and --all-or-nothing create nobody; --json prints the report', async () => {
    const first = uniqueEmail('csv-dry');
    const users = file('dry.csv', `email,displayName\n${first},First\nnot-an-email,Broken\n`);
    const dry = await sophon('admin', 'users', 'import', users, '--dry-run', '--json');
    expect(dry.code).toBe(1);
    expect(dry.json()).toMatchObject({ dryRun: true, counts: { rows: 2, valid: 1, rejected: 1, created: 0 } });
    const strict = await sophon('admin', 'users', 'import', users, '--all-or-nothing');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('All or nothing: 1 row(s) rejected, so nobody was created.');
    expect(await exists(first)).toBe(false);

    const clean = await sophon('admin', 'users', 'import', file('clean.csv', `email,displayName\n${first},First\n`), '--all-or-nothing', '--json');
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json().counts).toMatchObject({ created: 1, rejected: 0 });
    expect(await exists(first)).toBe(true);
  });

  it('refuses a file Excel saved as Windows-1252 with its line and the flag to use, and reads it with --encoding windows-1252', async () => {
    const [rene, siobhan] = [uniqueEmail('cli-rene'), uniqueEmail('cli-siobhan')];
    const users = file('excel.csv', Buffer.from(`email,displayName\r\n${rene},Ren\xe9 Dupont\r\n${siobhan},Siobh\xe1n O\x92Brien\r\n`, 'latin1'));
    const refused = await sophon('admin', 'users', 'import', users);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not UTF-8 text: line 2 has the byte 0xE9');
    expect(refused.stderr).toContain('--encoding windows-1252');
    expect(await exists(rene)).toBe(false);

    const read = await sophon('admin', 'users', 'import', users, '--encoding', 'windows-1252', '--json');
    expect(read.code, read.stderr).toBe(0);
    expect(read.json().rows.map((row: { user: { displayName: string } }) => row.user.displayName)).toEqual(['René Dupont', 'Siobhán O’Brien']);

    const unknown = await sophon('admin', 'users', 'import', users, '--encoding', 'klingon');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"klingon" is not a character encoding');
  });

  it('imports a "CSV UTF-8" file with its byte-order mark, and one separated by semicolons, also in batches', async () => {
    const marked = uniqueEmail('cli-bom');
    const withMark = await sophon('admin', 'users', 'import', file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`email,displayName\n${marked},Zoë Café\n`)])), '--json');
    expect(withMark.code, withMark.stderr).toBe(0);
    expect(withMark.json().rows[0]).toMatchObject({ line: 2, user: { displayName: 'Zoë Café' } });

    const rows = Array.from({ length: 1001 }, (_, index) => `${uniqueEmail(`semi${index}`)};"Dupont; ${index}";Viewer`);
    const semicolons = await sophon('admin', 'users', 'import', file('semicolons.csv', `email;displayName;role\n${rows.join('\n')}\n`), '--dry-run', '--json');
    expect(semicolons.code, semicolons.stderr).toBe(0);
    expect(semicolons.json().counts).toEqual({ rows: 1001, created: 0, valid: 1001, rejected: 0 });
    expect(semicolons.json().rows[1000]).toMatchObject({ line: 1002, status: 'valid' });
  });

  it('imports a file of more than 1,000 rows as one job, reporting lines of the file; all or nothing holds for any size', async () => {
    const rows = Array.from({ length: 1200 }, (_, index) => `${uniqueEmail(`batch${index}`)},"Batch Person ${index}"`);
    rows[1100] = 'broken-address,Somebody';
    // A blank line after every row: the lines of the file are not the rows' positions.
    const big = file('big.csv', `email,displayName\n${rows.join('\n\n')}\n`);
    const result = await sophon('admin', 'users', 'import', big, '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(1);
    const report = result.json();
    expect(report.counts).toEqual({ rows: 1200, created: 0, valid: 1199, rejected: 1 });
    const rejected = report.rows.find((row: { status: string }) => row.status === 'rejected');
    // Row 1101 is on line 2 + 2 × 1100.
    expect(rejected).toMatchObject({ email: 'broken-address', line: 2 + 2 * 1100, error: { code: 'EMAIL_INVALID' } });

    // One job checks every row before creating any: no 1,000-row limit on --all-or-nothing any more.
    const strict = await sophon('admin', 'users', 'import', big, '--all-or-nothing');
    expect(strict.code, strict.stderr).toBe(1);
    expect(strict.stdout).toContain('All or nothing: 1 row(s) rejected, so nobody was created.');
    expect(await exists(report.rows[0].email)).toBe(false);
  });

  it('sophon admin users import-status <job> prints the report of a job again, its one-time passwords no more', async () => {
    const email = uniqueEmail('status');
    const first = await sophon('admin', 'users', 'import', file('status.csv', `email,displayName\n${email},Status Row\n`), '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().rows[0].oneTimePassword).toEqual(expect.any(String));
    const again = await sophon('admin', 'users', 'import-status', first.json().job);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('one-time password shown before');
    expect(again.stdout).toContain('1 user(s) created, 0 row(s) rejected.');
    const missing = await sophon('admin', 'users', 'import-status', '00000000-0000-7000-8000-000000000000');
    expect(missing.code).toBe(4);
  });

  it('sophon admin users export --out users.csv writes every user with role, tenant, status, last login and creation date', async () => {
    const out = file('export.csv');
    const result = await sophon('admin', 'users', 'export', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Exported \d+ user row\(s\) to /);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.find((row) => row.email === 'admin@sophon.local')).toMatchObject({ role: 'Admin', tenant: 'default', status: 'active' });

    const asJson = await sophon('admin', 'users', 'export', '--json');
    expect(asJson.code).toBe(0);
    expect(asJson.json().map((row: { email: string }) => row.email).sort()).toEqual(rows.map((row) => row.email).sort());
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('email');
  });

  it('export --bom starts the file with a UTF-8 byte-order mark, for Excel; the file still imports', async () => {
    const rene = uniqueEmail('cli-excel');
    expect((await admin.post('/api/v1/users', { email: rene, displayName: 'René Excel' })).status).toBe(201);
    const out = file('for-excel.csv');
    const result = await sophon('admin', 'users', 'export', '--out', out, '--bom');
    expect(result.code, result.stderr).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString('utf8')).toContain('René Excel');
    const again = await sophon('admin', 'users', 'import', out, '--dry-run', '--json');
    expect(again.json().rows.find((row: { email: string }) => row.email === rene)).toMatchObject({ error: { code: 'EMAIL_TAKEN' } });

    const trail = file('trail-for-excel.csv');
    const audit = await sophon('admin', 'audit', 'export', '--category', 'users', '--bom', '--out', trail);
    expect(audit.code, audit.stderr).toBe(0);
    expect(readFileSync(trail).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect((parse(readFileSync(trail), { bom: true, columns: true }) as Record<string, string>[]).every((event) => event.category === 'users')).toBe(true);

    const json = await sophon('admin', 'audit', 'export', '--format', 'json', '--bom');
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--bom is for CSV files');
  });

  it('sophon admin audit export writes the trail, and a caller without ExportAuditLogs is stopped before anything is sent', async () => {
    const out = file('rbac.csv');
    const result = await sophon('admin', 'audit', 'export', '--category', 'rbac', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const events = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.category === 'rbac')).toBe(true);

    const json = await sophon('admin', 'audit', 'export', '--format', 'json', '--category', 'rbac');
    expect(json.json().items.map((event: { id: string }) => event.id)).toEqual(events.map((event) => event.id));

    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    const before = (await admin.get('/api/v1/audit?category=system')).body.items.length;
    const refused = await runCli(['admin', 'audit', 'export'], { env: { ...env, SOPHON_TOKEN: await tokenFor(viewer.client) } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('ExportAuditLogs');
    expect(refused.stderr).toContain('Nothing was sent to the server');
    expect((await admin.get('/api/v1/audit?category=system')).body.items.length).toBe(before);
  });
});

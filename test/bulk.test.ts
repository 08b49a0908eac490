import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { RawBody, type ApiClient } from './support/api-client.ts';
import { createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from './support/harness.ts';
import { linkTokenIn, MailSink } from './support/mail-sink.ts';

const csv = (...lines: string[]) => new RawBody(lines.join('\r\n') + '\r\n', 'text/csv');
const importCsv = (client: ApiClient, body: RawBody, query = '') => client.post(`/api/v1/users/import${query}`, body);

/** A request with bytes both ways: ApiClient speaks text, and decoding would hide what Excel writes and the byte-order mark. */
async function sendBytes(client: ApiClient, path: string, body?: { bytes: Uint8Array; contentType: string }) {
  const headers: Record<string, string> = { authorization: `Bearer ${client.credential.token}` };
  if (client.tenant) headers['x-sophon-tenant'] = client.tenant;
  if (body) headers['content-type'] = body.contentType;
  const response = await fetch(client.baseUrl + path, { method: body ? 'POST' : 'GET', headers, body: body && new Uint8Array(body.bytes) });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}
/** What Excel's plain "CSV (Comma delimited)" saves: Windows-1252, where é is 0xE9 and the ’ it puts in O’Brien is 0x92. */
const windows1252 = (...lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe.each(engines)('CSV import and export on %s', (engine) => {
  const sink = new MailSink();
  let test: TestServer;
  beforeAll(async () => {
    await sink.start();
    test = await startTestServer(engine, { environment: sink.environment() });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await test.admin.inTenant('acme').post('/api/v1/roles', { name: 'workflow-editor', permissions: ['ViewUsers', 'ManageWorkflows'] })).status).toBe(201);
  });
  afterAll(async () => {
    await test.close();
    await sink.stop();
  });

  it('creates the valid rows, invites those without a password, and rejects the others with their line and reason', async () => {
    const [givenEmail, invited, badRole, badTenant, weak] = ['given', 'invited', 'badrole', 'badtenant', 'weak'].map((label) => uniqueEmail(label)) as [string, string, string, string, string];
    const report = await importCsv(
      test.admin,
      csv(
        'email,displayName,role,tenant,password',
        `${givenEmail},Gina Given,workflow-editor,acme,"a perfectly fine passphrase"`,
        `${invited},Ivan Invited,Viewer,acme,`,
        `${badRole},Rita Role,no-such-role,acme,`,
        `${badTenant},Tom Tenant,Viewer,nowhere,`,
        `${weak},Wes Weak,Viewer,,password1234`,
        `${givenEmail.toUpperCase()},Gina Again,Viewer,acme,`,
      ),
    );
    expect(report.status).toBe(200);
    expect(report.body.counts).toEqual({ rows: 6, created: 2, valid: 0, rejected: 4 });
    const byLine = new Map(report.body.rows.map((row: { line: number }) => [row.line, row]));
    expect(byLine.get(2)).toMatchObject({ status: 'created', email: givenEmail, user: { displayName: 'Gina Given' } });
    expect(byLine.get(3)).toMatchObject({ status: 'created', invitation: { delivery: 'queued' } });
    // One first-login credential: the row with a password gets a notice without it, not also a link.
    expect(byLine.get(2)).toMatchObject({ notice: { delivery: 'queued' } });
    expect((byLine.get(2) as { invitation?: unknown }).invitation).toBeUndefined();
    expect(byLine.get(4)).toMatchObject({ status: 'rejected', error: { code: 'ROLE_NOT_FOUND' } });
    expect(byLine.get(5)).toMatchObject({ status: 'rejected', error: { code: 'TENANT_NOT_FOUND' } });
    expect(byLine.get(6)).toMatchObject({ status: 'rejected', error: { code: 'PASSWORD_TOO_COMMON' } });
    expect(byLine.get(7)).toMatchObject({ status: 'rejected', error: { code: 'EMAIL_REPEATED' } });
    expect((byLine.get(7) as { error: { message: string } }).error.message).toContain('line 2');

    // The given password works (and must be changed); the invitee gets a mail with a link.
    const signedIn = await test.login(givenEmail, 'a perfectly fine passphrase');
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.response.body.mustChangePassword).toBe(true);
    const acme = test.admin.inTenant('acme');
    const listed = await acme.get(`/api/v1/users?search=${encodeURIComponent(givenEmail)}`);
    expect(listed.body.items[0]).toMatchObject({ role: 'workflow-editor', homeTenant: 'acme' });
    const mail = await sink.waitFor(invited);
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token: linkTokenIn(mail), newPassword: 'the invitee chose this' })).status).toBe(200);

    // Nothing of the rejected rows exists.
    for (const email of [badRole, badTenant, weak]) {
      expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items).toEqual([]);
    }
    // The audit log tells who imported what, and each user's creation.
    const audit = await test.admin.get('/api/v1/audit?category=users');
    const imported = audit.body.items.find((event: { action: string }) => event.action === 'users.imported');
    expect(imported.detail).toMatchObject({ rows: 6, created: 2, rejected: 4 });
    const acmeAudit = await acme.get('/api/v1/audit?category=users');
    expect(acmeAudit.body.items.filter((event: { action: string; detail: { via?: string } }) => event.action === 'user.created' && event.detail.via === 'csv import')).toHaveLength(2);
  });

  it('checks every row without creating anyone on a dry run, and creates nobody all-or-nothing when a row is bad', async () => {
    const first = uniqueEmail('dry');
    const second = uniqueEmail('dry');
    const file = csv('email,displayName', `${first},First Dry`, `${second},Second Dry`);
    const dry = await importCsv(test.admin, file, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, applied: false, counts: { rows: 2, created: 0, valid: 2, rejected: 0 } });
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(first)}`)).body.items).toEqual([]);

    const doomed = await importCsv(test.admin, csv('email,displayName,role', `${first},First,Viewer`, `not-an-email,Broken,Viewer`), '?allOrNothing=true');
    expect(doomed.status).toBe(200);
    expect(doomed.body).toMatchObject({ applied: false, counts: { created: 0, valid: 1, rejected: 1 } });
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(first)}`)).body.items).toEqual([]);

    const real = await importCsv(test.admin, file, '?allOrNothing=true');
    expect(real.status).toBe(200);
    expect(real.body.counts).toMatchObject({ created: 2, rejected: 0 });
    // Importing the same file again: everyone is already there.
    const again = await importCsv(test.admin, file);
    expect(again.status).toBe(200);
    expect(again.body.rows.map((row: { error: { code: string } }) => row.error.code)).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN']);
  });

  it('refuses a file that is not the seed\'s CSV, saying what is wrong and creating nobody', async () => {
    const expectRefused = async (body: RawBody | object, code: string, text?: string) => {
      const answer = await test.admin.post('/api/v1/users/import', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error.code).toBe(code);
      if (text) expect(answer.body.error.message).toContain(text);
    };
    await expectRefused(csv('email,name', 'a@b.c,A'), 'CSV_UNKNOWN_COLUMNS', '"name"');
    await expectRefused(csv('email,role', 'a@b.c,Viewer'), 'CSV_MISSING_COLUMNS', 'displayName');
    await expectRefused(csv('email,displayName'), 'CSV_EMPTY');
    await expectRefused(csv('email,displayName', `${uniqueEmail()},Fine`, 'x@y.z,Too,Many,Cells'), 'CSV_INVALID', 'line 3');
    await expectRefused(csv('email,displayName', ...Array.from({ length: 1001 }, (_, index) => `bulk${index}@example.test,Bulk ${index}`)), 'CSV_TOO_MANY_ROWS', '1000');
    await expectRefused({ csv: 'email,displayName' }, 'VALIDATION_FAILED', 'text/csv');
  });

  it('refuses a file that is not UTF-8 with its line, rather than import "Ren\uFFFD", and reads it when the charset says windows-1252', async () => {
    const [rene, siobhan] = [uniqueEmail('rene'), uniqueEmail('siobhan')];
    const file = windows1252('email,displayName', `${rene},Ren\xe9 Dupont`, `${siobhan},Siobh\xe1n O\x92Brien`);
    for (const contentType of ['text/csv', 'text/csv; charset=utf-8']) {
      const refused = await sendBytes(test.admin, '/api/v1/users/import', { bytes: file, contentType });
      expect(refused.status).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'CSV_NOT_UTF8', line: 2 });
      expect(refused.json().error.message).toContain('line 2 has the byte 0xE9 ("é" in Windows-1252) after "Ren"');
      expect(refused.json().error.message).toContain('CSV UTF-8 (Comma delimited)');
    }
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(rene)}`)).body.items).toEqual([]);

    const read = await sendBytes(test.admin, '/api/v1/users/import', { bytes: file, contentType: 'text/csv; charset=windows-1252' });
    expect(read.status, read.bytes.toString()).toBe(200);
    expect(read.json().counts).toMatchObject({ created: 2, rejected: 0 });
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(rene)}`)).body.items[0].displayName).toBe('René Dupont');
    expect((await test.admin.get(`/api/v1/users?search=${encodeURIComponent(siobhan)}`)).body.items[0].displayName).toBe('Siobhán O’Brien');

    const unknown = await sendBytes(test.admin, '/api/v1/users/import', { bytes: file, contentType: 'text/csv; charset=klingon' });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.code).toBe('CSV_ENCODING_UNKNOWN');
  });

  it('takes off the byte-order mark of a "CSV UTF-8" file, which decides over a charset saying otherwise', async () => {
    const [first, second] = [uniqueEmail('bom'), uniqueEmail('bom')];
    const file = Buffer.concat([UTF8_BOM, Buffer.from(`email,displayName\r\n${first},Zoë Café\r\n`)]);
    const report = await sendBytes(test.admin, '/api/v1/users/import', { bytes: file, contentType: 'text/csv' });
    expect(report.status, report.bytes.toString()).toBe(200);
    expect(report.json().rows[0]).toMatchObject({ line: 2, status: 'created', user: { displayName: 'Zoë Café' } });
    const labelled = Buffer.concat([UTF8_BOM, Buffer.from(`email,displayName\r\n${second},Zoë Café\r\n`)]);
    const mislabelled = await sendBytes(test.admin, '/api/v1/users/import', { bytes: labelled, contentType: 'text/csv; charset=windows-1252' });
    expect(mislabelled.json().rows[0]).toMatchObject({ status: 'created', user: { displayName: 'Zoë Café' } });
  });

  it('reads a file separated by semicolons, as Excel saves CSV where the comma is the decimal separator, and names a separator it does not read', async () => {
    const [first, second] = [uniqueEmail('semicolon'), uniqueEmail('semicolon')];
    const report = await importCsv(test.admin, csv('email;displayName;role', `${first};Dupont, René;Operator`, `${second};"Quoted; Name";`));
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.rows).toMatchObject([
      { line: 2, status: 'created', user: { displayName: 'Dupont, René', role: 'Operator' } },
      { line: 3, status: 'created', user: { displayName: 'Quoted; Name', role: 'Viewer' } },
    ]);

    const tabs = await importCsv(test.admin, csv('email\tdisplayName', `${uniqueEmail('tab')}\tTab Person`));
    expect(tabs.status).toBe(400);
    expect(tabs.body.error.code).toBe('CSV_DELIMITER_UNSUPPORTED');
    expect(tabs.body.error.message).toContain('separated by tabs');
  });

  it('keeps an importer to the tenants and roles they could grant by hand', async () => {
    const acmeAdmin = await createSignedInUser(test, { role: 'Admin', tenant: 'acme' });
    const outsider = uniqueEmail('outsider');
    const report = await importCsv(acmeAdmin.client, csv('email,displayName,role,tenant', `${outsider},In Default,Viewer,default`, `${uniqueEmail('fine')},In Acme,Viewer,acme`));
    expect(report.status).toBe(200);
    expect(report.body.rows[0]).toMatchObject({ status: 'rejected', error: { code: 'TENANT_NOT_FOUND' } });
    expect(report.body.rows[1]).toMatchObject({ status: 'created' });

    // Someone who may manage users but not grant Admin: the row is refused, and the refusal audited even on a dry run.
    expect((await test.admin.inTenant('acme').post('/api/v1/roles', { name: 'user-clerk', permissions: ['ViewUsers', 'ManageUsers'] })).status).toBe(201);
    const clerk = await createSignedInUser(test, { role: 'user-clerk', tenant: 'acme' });
    const escalating = uniqueEmail('escalating');
    const probe = await importCsv(clerk.client, csv('email,displayName,role', `${escalating},Would Be Admin,Admin`), '?dryRun=true');
    expect(probe.body.rows[0]).toMatchObject({ status: 'rejected', error: { code: 'PRIVILEGE_ESCALATION' } });
    const denied = (await test.admin.inTenant('acme').get(`/api/v1/audit?category=authz&user=${clerk.id}`)).body.items;
    expect(denied[0]).toMatchObject({ action: 'permission.denied', outcome: 'denied', detail: { via: 'csv import', line: 2, code: 'PRIVILEGE_ESCALATION' } });

    const editor = await createSignedInUser(test, { role: 'workflow-editor', tenant: 'acme' });
    const refused = await importCsv(editor.client, csv('email,displayName', `${uniqueEmail()},Nope`));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'PERMISSION_MISSING', missingPermission: 'ManageUsers' });
  });

  it('reports a row another import took at the same moment as taken, and creates everyone else', async () => {
    const shared = uniqueEmail('raced');
    const files = [0, 1].map((side) => csv('email,displayName', `${shared},Raced`, `${uniqueEmail(`side${side}`)},Side ${side}`));
    const [first, second] = await Promise.all(files.map((file) => importCsv(test.admin, file)));
    for (const report of [first!, second!]) expect(report.status, JSON.stringify(report.body)).toBe(200);
    const sharedRows = [first!, second!].map((report) => report.body.rows[0]);
    expect(sharedRows.map((row: { status: string }) => row.status).sort()).toEqual(['created', 'rejected']);
    expect(sharedRows.find((row: { status: string }) => row.status === 'rejected').error.code).toBe('EMAIL_TAKEN');
    expect([first!, second!].map((report) => report.body.rows[1].status)).toEqual(['created', 'created']);
  });

  it('exports the tenant\'s users with role, tenant, status, last login and creation date, safe to open in a spreadsheet', async () => {
    const acme = test.admin.inTenant('acme');
    const sneaky = uniqueEmail('sneaky');
    expect((await acme.post('/api/v1/users', { email: sneaky, displayName: '=HYPERLINK("http://evil.example")', role: 'Viewer' })).status).toBe(201);
    const suspended = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Sue Suspended' });
    expect((await acme.post(`/api/v1/users/${suspended.id}/suspend`)).status).toBe(200);

    const exported = await acme.get('/api/v1/users/export');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('text/csv');
    expect(exported.headers.get('content-disposition')).toContain('users-acme.csv');
    const rows: Record<string, string>[] = parse(exported.body, { columns: true });
    expect(Object.keys(rows[0]!)).toEqual(['email', 'displayName', 'role', 'tenant', 'status', 'lastLoginAt', 'createdAt', 'homeTenant', 'id']);
    expect(rows.every((row) => row.tenant === 'acme')).toBe(true);
    const sue = rows.find((row) => row.email === suspended.email)!;
    expect(sue).toMatchObject({ role: 'Viewer', status: 'suspended', homeTenant: 'acme', id: suspended.id });
    expect(Date.parse(sue.lastLoginAt!)).not.toBeNaN();
    expect(Date.parse(sue.createdAt!)).not.toBeNaN();
    expect(rows.find((row) => row.email === sneaky)!.displayName).toBe('\'=HYPERLINK("http://evil.example")');
    const elsewhere = uniqueEmail('elsewhere');
    expect((await test.admin.post('/api/v1/users', { email: elsewhere, displayName: 'Only In Default' })).status).toBe(201);
    const again = parse((await acme.get('/api/v1/users/export')).body, { columns: true }) as Record<string, string>[];
    expect(again.some((row) => row.email === elsewhere)).toBe(false);
    expect(again).toHaveLength(rows.length);

    // Every tenant the caller can see, one row per membership.
    const all = parse((await test.admin.get('/api/v1/users/export?allTenants=true')).body, { columns: true }) as Record<string, string>[];
    expect(new Set(all.map((row) => row.tenant))).toEqual(new Set(['default', 'acme']));
    expect(all.filter((row) => row.email === suspended.email)).toHaveLength(1);

    // An export is an import file: here everyone exists already, so each row says just that.
    const reimport = await importCsv(acme, new RawBody(exported.body, 'text/csv'), '?dryRun=true');
    expect(reimport.status).toBe(200);
    expect(new Set(reimport.body.rows.map((row: { error?: { code: string } }) => row.error?.code))).toEqual(new Set(['EMAIL_TAKEN']));
  });

  it('starts an export with a UTF-8 byte-order mark when asked (bom=true), so Excel shows "René", and the file still imports', async () => {
    const rene = uniqueEmail('excel');
    expect((await test.admin.post('/api/v1/users', { email: rene, displayName: 'René Excel' })).status).toBe(201);
    const plain = await sendBytes(test.admin, '/api/v1/users/export');
    expect(plain.bytes.subarray(0, 5).toString()).toBe('email');
    const marked = await sendBytes(test.admin, '/api/v1/users/export?bom=true');
    expect(marked.status).toBe(200);
    expect(marked.bytes.subarray(0, 3)).toEqual(UTF8_BOM);
    expect(marked.bytes.subarray(3)).toEqual(plain.bytes);
    expect(marked.bytes.toString('utf8')).toContain('René Excel');
    const reimport = await sendBytes(test.admin, '/api/v1/users/import?dryRun=true', { bytes: marked.bytes, contentType: 'text/csv' });
    expect(reimport.json().rows.find((row: { email: string }) => row.email === rene)).toMatchObject({ line: expect.any(Number), error: { code: 'EMAIL_TAKEN' } });

    const audit = await sendBytes(test.admin, '/api/v1/audit/export?category=users&bom=true');
    expect(audit.status).toBe(200);
    expect(audit.bytes.subarray(0, 3)).toEqual(UTF8_BOM);
    expect(parse(audit.bytes, { bom: true, columns: true }).length).toBeGreaterThan(0);
    const json = await test.admin.get('/api/v1/audit/export?format=json&bom=true');
    expect(json.status).toBe(400);
    expect(json.body.error.message).toContain('bom');
  });

  it('exports the audit trail as CSV or JSON behind ExportAuditLogs, and records that it was exported', async () => {
    const asCsv = await test.admin.get('/api/v1/audit/export?category=rbac');
    expect(asCsv.status).toBe(200);
    const events = parse(asCsv.body, { columns: true }) as Record<string, string>[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.category === 'rbac')).toBe(true);
    // Oldest first, the way a trail is read.
    const times = events.map((event) => Date.parse(event.occurredAt!));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(JSON.parse(events.at(-1)!.diff!)).toHaveProperty('after');

    const asJson = await test.admin.get('/api/v1/audit/export?format=json&category=rbac');
    expect(asJson.body.items.map((event: { id: string }) => event.id)).toEqual(events.map((event) => event.id));

    const trail = await test.admin.get('/api/v1/audit?category=system');
    expect(trail.body.items.find((event: { action: string }) => event.action === 'audit.exported').detail).toMatchObject({ format: 'json', filters: { category: 'rbac' } });

    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    const refused = await viewer.client.get('/api/v1/audit/export');
    expect(refused.status).toBe(403);
    expect(refused.body.error.missingPermission).toBe('ExportAuditLogs');
  });
});

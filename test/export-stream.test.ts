import { parse } from 'csv-parse/sync';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/domain/context.ts';
import { EXPORT_BATCH_SIZE } from '../src/domain/export-format.ts';
import { newId } from '../src/domain/ids.ts';
import type { Store } from '../src/domain/store.ts';
import type { StoredUser } from '../src/domain/users/user.ts';
import type { ApiResponse } from './support/api-client.ts';
import { runCli, temporaryConfig, tokenFor } from './cli/run-cli.ts';
import { engines, startTestServer, type TestServer } from './support/harness.ts';
import { statementsOf } from './support/sql-statements.ts';

/**
 * GET /audit/export and GET /users/export stream: rows are read in keyset batches of
 * EXPORT_BATCH_SIZE, each its own short statement outside any transaction, and written out
 * as they are read. Proven by counting: the statements an export of N rows sends, and (on the
 * service) how many batches have been read when the first rows are handed out.
 */
const EVENTS = 2 * EXPORT_BATCH_SIZE + 500;
const MEMBERS = 2 * EXPORT_BATCH_SIZE + 100;

const auditReads = (sent: string[]) => sent.filter((sql) => /from "audit_events"/i.test(sql) && /^\s*(\()?select/i.test(sql));
const memberReads = (sent: string[]) => sent.filter((sql) => /from "role_assignments" as "ra" inner join "users" as "u"/i.test(sql));
const transactionControl = (sent: string[]) => sent.filter((sql) => /^\s*(begin|commit|rollback|savepoint|start transaction)/i.test(sql));

describe.each(engines)('streamed exports on %s', (engine) => {
  let test: TestServer;
  let store: Store;
  let tenantId: string;
  let actor: Actor;
  const directory = mkdtempSync(path.join(tmpdir(), 'sophon-export-'));
  const config = temporaryConfig();
  let env: Record<string, string>;

  beforeAll(async () => {
    test = await startTestServer(engine);
    store = test.server.services.context.store;
    expect((await test.admin.post('/api/v1/tenants', { slug: 'big', name: 'Big' })).status).toBe(201);
    tenantId = (await store.tenants.getBySlug('big'))!.id;
    const admin = (await store.users.getByEmail('admin@sophon.local'))!;
    actor = { userId: admin.id, email: admin.email, homeTenantId: admin.homeTenantId, tenantId, ip: null, userAgent: null, sessionId: null, tokenId: null };
    const start = Date.UTC(2026, 0, 1);
    const { db } = test.server.database;
    for (let offset = 0; offset < EVENTS; offset += 500) {
      await db
        .insertInto('audit_events')
        .values(
          Array.from({ length: Math.min(500, EVENTS - offset) }, (_, index) => ({
            id: newId(),
            occurred_at: new Date(start + (offset + index) * 1000).toISOString(),
            tenant_id: tenantId,
            actor_id: admin.id,
            actor_email: admin.email,
            category: (offset + index) % 2 ? 'users' : 'rbac',
            action: 'seeded.event',
            outcome: 'success',
            subject_type: 'user',
            subject_id: admin.id,
            diff: JSON.stringify({ before: { n: offset + index }, after: { n: offset + index + 1, note: '=SUM(A1), "quoted"\nline' } }),
            detail: null,
            ip: null,
            user_agent: null,
          })),
        )
        .execute();
    }
    await store.transaction(async (inside) => {
      for (let n = 0; n < MEMBERS; n++) {
        const user: StoredUser = {
          id: newId(),
          email: `member.${n}@example.test`,
          displayName: n % 10 ? `Member ${n}` : `=cmd|' /C calc'!A${n}`,
          homeTenantId: tenantId,
          status: 'active',
          mustChangePassword: false,
          passwordHash: '$argon2id$not-a-real-hash',
          passwordExpiresAt: null,
          createdAt: new Date(start).toISOString(),
          updatedAt: new Date(start).toISOString(),
          lastLoginAt: null,
          lastLoginIp: null,
          lastLoginUserAgent: null,
        };
        await inside.users.create(user);
        await inside.assignments.set({ userId: user.id, tenantId, roleId: 'viewer', assignedAt: user.createdAt, assignedBy: null });
      }
    });
    env = { SOPHON_URL: test.url, SOPHON_TOKEN: await tokenFor(test.admin, '30d'), SOPHON_CLI_CONFIG: config.file };
  });
  afterAll(async () => {
    await test.close();
    config.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  const big = () => test.admin.inTenant('big');

  describe('the audit trail', () => {
    it(`reads an export of ${EVENTS}+ events in ${Math.ceil(EVENTS / EXPORT_BATCH_SIZE)} batches, each a statement of its own outside a transaction`, async () => {
      let answer: ApiResponse | undefined;
      const sent = await statementsOf(test, async () => (answer = await big().get('/api/v1/audit/export?format=jsonl')));
      expect(answer!.status).toBe(200);
      const lines = (answer!.body as string).trimEnd().split('\n');
      // The events of the tenant so far: the seeded ones and the tenant's creation.
      expect(lines.length).toBeGreaterThan(EVENTS);
      const batches = Math.floor(lines.length / EXPORT_BATCH_SIZE) + 1;
      expect(auditReads(sent)).toHaveLength(batches);
      expect(auditReads(sent).every((sql) => /limit/i.test(sql))).toBe(true);
      // The export's own event is written before the reads, on its own; no transaction spans the reads.
      expect(transactionControl(sent).length).toBeLessThanOrEqual(2);
    });

    it('hands out the first rows after reading one batch, and reads the next only when they are taken', async () => {
      const counted: string[] = [];
      const stop = test.server.database.statements.listen((sql) => counted.push(sql));
      try {
        const chunks = await test.server.services.audit.export(actor, {}, 'csv');
        expect(auditReads(counted)).toHaveLength(0);
        const header = await chunks.next();
        expect(header.value).toMatch(/^id,occurredAt,category/);
        expect(auditReads(counted)).toHaveLength(0);
        const first = await chunks.next();
        expect(parse(first.value as string, { relax_column_count: true })).toHaveLength(EXPORT_BATCH_SIZE);
        expect(auditReads(counted)).toHaveLength(1);
        await chunks.next();
        expect(auditReads(counted)).toHaveLength(2);
        // A reader that stops early (a client gone away) stops the reads too.
        await chunks.return(undefined);
        expect(auditReads(counted)).toHaveLength(2);
      } finally {
        stop();
      }
    });

    it('gives the same events oldest first, each once, in CSV, JSON and JSON Lines, and leaves out its own event', async () => {
      const csv = await big().get('/api/v1/audit/export');
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.headers.get('content-length')).toBeNull();
      expect(csv.headers.get('transfer-encoding')).toBe('chunked');
      const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
      const ids = rows.map((row) => row.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
      // Cells a spreadsheet would run are neutralised; JSON keeps the text as it is.
      const seeded = rows.find((row) => row.action === 'seeded.event')!;
      expect(JSON.parse(seeded.diff!).after.note).toBe('=SUM(A1), "quoted"\nline');

      const json = await big().get('/api/v1/audit/export?format=json');
      expect(json.headers.get('content-type')).toContain('application/json');
      // The exports before this one are in it now, and only those.
      const jsonIds = json.body.items.map((event: { id: string }) => event.id);
      expect(jsonIds.slice(0, ids.length)).toEqual(ids);
      expect(json.body.items.slice(ids.length).map((event: { action: string }) => event.action)).toEqual(['audit.exported']);

      const negotiated = await big().request('GET', '/api/v1/audit/export?category=rbac', undefined, { accept: 'application/jsonl' });
      expect(negotiated.headers.get('content-type')).toContain('application/jsonl');
      const lines = (negotiated.body as string).trimEnd().split('\n').map((line) => JSON.parse(line));
      expect(lines.map((event) => event.id)).toEqual(rows.filter((row) => row.category === 'rbac').map((row) => row.id));
      expect(lines.every((event) => event.category === 'rbac')).toBe(true);
    });

    it('refuses a byte-order mark on JSON Lines, naming bom', async () => {
      const refused = await big().get('/api/v1/audit/export?format=jsonl&bom=true');
      expect(refused.status).toBe(400);
      expect(refused.body.error.problems[0].field).toBe('bom');
    });

    it('sophon admin audit export writes JSON Lines to a file, the same events as the API gives', async () => {
      const out = path.join(directory, `trail-${engine}.jsonl`);
      const result = await runCli(['--tenant', 'big', 'admin', 'audit', 'export', '--format', 'jsonl', '--category', 'users', '--out', out], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const written = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
      expect(written.length).toBeGreaterThan(EVENTS / 2 - 1);
      const api = (await big().get('/api/v1/audit/export?format=jsonl&category=users')).body as string;
      expect(api.trimEnd().split('\n').map((line) => JSON.parse(line).id)).toEqual(written.map((event) => event.id));
    });
  });

  describe('the users', () => {
    it(`reads an export of ${MEMBERS} members in ${Math.ceil(MEMBERS / EXPORT_BATCH_SIZE)} joined statements, each outside a transaction`, async () => {
      let answer: ApiResponse | undefined;
      const sent = await statementsOf(test, async () => (answer = await big().get('/api/v1/users/export')));
      expect(answer!.status).toBe(200);
      expect(answer!.headers.get('transfer-encoding')).toBe('chunked');
      const rows = parse(answer!.body as string, { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(MEMBERS + 1); // and the tenant's creator
      expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
      expect(memberReads(sent)).toHaveLength(Math.floor(rows.length / EXPORT_BATCH_SIZE) + 1);
      expect(transactionControl(sent)).toEqual([]);
      // The role and the home tenant came with each row: no read per user.
      expect(sent.length).toBeLessThan(memberReads(sent).length + 10);
      expect(rows.find((row) => row.email === 'member.10@example.test')).toMatchObject({ role: 'Viewer', tenant: 'big', homeTenant: 'big', displayName: "'=cmd|' /C calc'!A10" });
    });

    it('hands out the first rows after one batch, and every tenant of allTenants after one read of the memberships', async () => {
      const counted: string[] = [];
      const stop = test.server.database.statements.listen((sql) => counted.push(sql));
      try {
        const chunks = await test.server.services.userCsv.export(actor, { allTenants: true, format: 'jsonl' });
        const before = counted.length;
        expect(before).toBeLessThanOrEqual(3);
        const first = await chunks.next();
        expect((first.value as string).trimEnd().split('\n').length).toBeGreaterThan(0);
        expect(memberReads(counted)).toHaveLength(1);
        let lines = (first.value as string).trimEnd().split('\n').length;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) lines += (next.value as string).trimEnd().split('\n').length;
        // default (the admin) and big (the admin and the members), a batch or more each.
        expect(lines).toBe(1 + MEMBERS + 1);
        expect(memberReads(counted)).toHaveLength(1 + Math.floor((MEMBERS + 1) / EXPORT_BATCH_SIZE) + 1);
      } finally {
        stop();
      }
    });

    it('gives the same rows as CSV and JSON Lines (format=jsonl or Accept), and JSON', async () => {
      const csv = parse((await big().get('/api/v1/users/export')).body, { columns: true }) as Record<string, string>[];
      const jsonl = await big().get('/api/v1/users/export?format=jsonl');
      expect(jsonl.headers.get('content-disposition')).toContain('users-big.jsonl');
      const lines = (jsonl.body as string).trimEnd().split('\n').map((line) => JSON.parse(line));
      expect(lines.map((row) => row.email)).toEqual(csv.map((row) => row.email));
      expect(lines.find((row) => row.email === 'member.10@example.test').displayName).toBe("=cmd|' /C calc'!A10");
      const negotiated = await big().request('GET', '/api/v1/users/export', undefined, { accept: 'application/x-ndjson' });
      expect(negotiated.body).toBe(jsonl.body);
      const json = await big().get('/api/v1/users/export?format=json');
      expect(json.body.items).toEqual(lines);
    });

    it('sophon admin users export --out writes the CSV as it arrives and counts its rows; --json prints them as one array', async () => {
      const out = path.join(directory, `users-${engine}.csv`);
      const result = await runCli(['--tenant', 'big', 'admin', 'users', 'export', '--out', out], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Exported ${MEMBERS + 1} user row(s)`);
      const written = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
      expect(written).toHaveLength(MEMBERS + 1);
      const asJson = await runCli(['--tenant', 'big', 'admin', 'users', 'export', '--json'], { env });
      expect(asJson.code, asJson.stderr).toBe(0);
      expect(asJson.json().map((row: { email: string }) => row.email)).toEqual(written.map((row) => row.email));
    });
  });
});

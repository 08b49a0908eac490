import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryConfig } from './run-cli.ts';

/**
 * `sophon admin audit export --out` and `sophon admin users export --out` write the file as the
 * answer arrives. A stand-in server sends the first part of an export, waits until that part is
 * on disk (it would wait forever for a CLI that holds the answer whole: bounded, then the test
 * fails), then cuts the connection: the file keeps what arrived and the CLI says the output is
 * incomplete.
 */
describe('CLI exports write the file as it arrives', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'sophon-export-cli-'));
  const config = temporaryConfig();
  let server: http.Server;
  let url: string;
  const firstPart = 'id,occurredAt,category\r\n1,2026-01-01T00:00:00.000Z,rbac\r\n';
  let target = '';
  let sawFirstPartOnDisk = false;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url?.startsWith('/api/v1/me')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ tenants: [], tenant: { slug: 'default', role: 'Admin', permissions: ['ExportAuditLogs', 'ViewUsers'] } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      response.write(firstPart);
      void (async () => {
        for (let attempt = 0; attempt < 500 && !(existsSync(target) && readFileSync(target, 'utf8') === firstPart); attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        sawFirstPartOnDisk = existsSync(target) && readFileSync(target, 'utf8') === firstPart;
        response.write('2,2026-01-01T00:00:01.000Z,rb');
        response.socket?.destroy();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    config.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each([
    ['audit', ['admin', 'audit', 'export']],
    ['users', ['admin', 'users', 'export']],
  ])('%s: the first part is on disk before the rest is sent, and a cut connection fails the command', async (name, command) => {
    target = path.join(directory, `${name}.csv`);
    sawFirstPartOnDisk = false;
    const result = await runCli([...command, '--out', target], { env: { SOPHON_URL: url, SOPHON_TOKEN: 'sph_stand_in', SOPHON_CLI_CONFIG: config.file } });
    expect(sawFirstPartOnDisk).toBe(true);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('cut off');
    expect(readFileSync(target, 'utf8').startsWith(firstPart)).toBe(true);
  });
});

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../../src/cli/endpoints.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { apiRoutes } from '../../src/http/routes/index.ts';
import { olderNode, projectRoot, runCli } from './run-cli.ts';

const seedCommandLines = [
  'sophon admin users reassign --from <old-id> --to <new-id>',
  'sophon admin users purge-orphans --older-than 30d',
  'sophon admin users logout <user-id>',
  'sophon admin users set-role <user-id> --role workflow-editor',
  'sophon admin users set-role <user-id> --role admin --tenant acme',
  'sophon admin users effective-permissions <user-id>',
  'sophon auth tokens create --name ci-deploy --expires 365d',
  'sophon admin tokens list --user <id>',
  'sophon admin tokens revoke <token-id>',
];

function leaves(command: Command): Command[] {
  const children = command.commands.filter((child) => child.name() !== 'help');
  return children.length === 0 ? [command] : children.flatMap(leaves);
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

const unreachable = ['--url', 'http://127.0.0.1:1'];

describe('the sophon executable', () => {
  it('declares, for every endpoint it calls, the permission the server route declares', () => {
    for (const endpoint of Object.values(endpoints)) {
      const key = `${endpoint.method} ${endpoint.path}`;
      const route = apiRoutes.find((candidate) => candidate.method === endpoint.method && candidate.url === endpoint.path);
      expect(route, `${key} is not served`).toBeDefined();
      const declared = typeof route!.access === 'object' ? route!.access.permission : undefined;
      expect(endpoint.permission, key).toBe(declared);
    }
  });

  it('has --help with an example on every command, the seed command lines among them', () => {
    const program = buildProgram();
    const helps = leaves(program).map((command) => [command.name(), helpOf(command)] as const);
    expect(helps.length).toBeGreaterThanOrEqual(35);
    for (const [name, help] of helps) {
      expect(help, name).toContain('Examples:');
      expect(help, name).toContain('--json');
    }
    const allHelp = helps.map(([, help]) => help).join('\n');
    for (const line of seedCommandLines) expect(allHelp).toContain(`$ ${line}`);
    expect(helpOf(program)).toMatch(/Exit codes:[\s\S]*3 {2}permission denied[\s\S]*5 {2}server or network error/);
  });

  it('documents every command and exit code in docs/cli.md', () => {
    const page = readFileSync(path.join(projectRoot, 'docs/cli.md'), 'utf8');
    for (const command of leaves(buildProgram())) {
      const names: string[] = [];
      for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
      expect(page, names.join(' ')).toContain(`sophon ${names.join(' ')}`);
    }
    for (const code of [0, 1, 2, 3, 4, 5]) expect(page).toMatch(new RegExp(`\\| \`?${code}\`? \\|`));
  });

  it('prints its help with exit 0 and runs a client command end to end', async () => {
    const help = await runCli(['admin', 'users', 'set-role', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ sophon admin users set-role <user-id> --role admin --tenant acme');
    const client = await runCli([...unreachable, 'admin', 'users', 'list'], { env: { SOPHON_TOKEN: 'sph_x' } });
    expect(client.code).toBe(5);
    expect(client.stderr).toContain('cannot reach the Sophon server at http://127.0.0.1:1');
  });

  it('answers bad command lines with exit 2 before contacting any server', async () => {
    const cases = [
      ['admin', 'users', 'frobnicate'],
      ['admin', 'users', 'list', '--frobnicate'],
      ['admin', 'users'],
      ['admin', 'users', 'set-role', 'someone'],
      ['admin', 'users', 'show'],
      ['admin', 'users', 'show', 'someone', 'extra'],
      ['auth', 'tokens', 'create', '--name', 'x', '--expires', '10y'],
      ['admin', 'users', 'purge-orphans', '--older-than', 'soon'],
      ['admin', 'users', 'purge-orphans'],
      ['admin', 'audit', 'list', '--category', 'gossip'],
      ['admin', 'audit', 'list', '--since', 'yesterday'],
      ['admin', 'users', 'list', '--limit', '0'],
      ['admin', 'users', 'update', 'someone'],
      ['admin', 'roles', 'create', 'x'],
      ['auth', 'login', '--totp', '1', '--recovery-code', '2'],
      ['--url', 'ftp://example.com', 'auth', 'whoami'],
    ];
    // Against an unreachable server: anything that got past the command line would exit 5.
    const results = await Promise.all(cases.map((args) => runCli(args[0] === '--url' ? args : [...unreachable, ...args], { env: { SOPHON_TOKEN: 'sph_x' } })));
    results.forEach((result, index) => expect(result.code, `${cases[index]!.join(' ')}: ${result.stderr}`).toBe(2));
  });

  const old = olderNode();
  it.skipIf(!old)(`runs itself again with Node 24 when started by an older Node (${old ?? 'none on PATH'})`, async () => {
    const result = await runCli([...unreachable, 'auth', 'whoami'], { node: old, env: { SOPHON_TOKEN: 'sph_x' } });
    expect(result.stderr).toContain('cannot reach');
    expect(result.code).toBe(5);
  });

  it('works when installed under node_modules (global or dependency install), where Node does not strip types', async () => {
    const prefix = mkdtempSync(path.join(tmpdir(), 'sophon-install-'));
    try {
      const installed = path.join(prefix, 'lib/node_modules/sophon-identity');
      mkdirSync(installed, { recursive: true });
      for (const part of ['bin', 'src', 'package.json']) cpSync(path.join(projectRoot, part), path.join(installed, part), { recursive: true });
      symlinkSync(path.join(projectRoot, 'node_modules'), path.join(installed, 'node_modules'));
      const bin = path.join(installed, 'bin/sophon.js');
      const version = await runCli(['--version'], { bin });
      expect(version.stderr).toBe('');
      expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version);
      const client = await runCli([...unreachable, 'admin', 'roles', 'list'], { bin, env: { SOPHON_TOKEN: 'sph_x' } });
      expect(client.stderr).toContain('cannot reach');
      expect(client.code).toBe(5);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});

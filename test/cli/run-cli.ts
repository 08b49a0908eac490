import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiClient } from '../support/api-client.ts';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sophonBin = path.join(projectRoot, 'bin/sophon.js');

/** The Node 24 that runs the CLI in tests: this one if it is 24+, else the `node` package's. */
export const node24 = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : path.join(projectRoot, 'node_modules/node/bin/node');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json). */
  json<T = any>(): T;
}

export interface RunOptions {
  /** Extra environment (SOPHON_URL, SOPHON_TOKEN, SOPHON_CLI_CONFIG…); nothing SOPHON_* is inherited. */
  env?: Record<string, string | undefined>;
  /** Piped to standard input (which is never a terminal here). */
  input?: string;
  node?: string;
  bin?: string;
}

/** Runs the real `sophon` executable as a subprocess. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SOPHON_')));
  const env = { ...inherited, ...options.env } as NodeJS.ProcessEnv;
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? node24, [options.bin ?? sophonBin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      }),
    );
    child.stdin.end(options.input ?? '');
  });
}

/** A temporary place for the CLI's credential file. */
export function temporaryConfig(): { file: string; remove(): void } {
  const directory = mkdtempSync(path.join(tmpdir(), 'sophon-cli-'));
  return { file: path.join(directory, 'sophon', 'credentials.json'), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** Token names are unique per user (issue 12): each token here gets its own. */
let cliTokens = 0;

/** An API token for the caller behind `client`, for SOPHON_TOKEN. */
export async function tokenFor(client: ApiClient, expiresIn = '1d'): Promise<string> {
  const created = await client.post('/api/v1/me/tokens', { name: `cli tests ${++cliTokens}`, expiresIn });
  if (created.status !== 201) throw new Error(`could not create a token: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.secret;
}

/** A Node older than 24 on PATH (outside node_modules), to prove bin/sophon.js re-executes itself; undefined if there is none. */
export function olderNode(): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory || directory.includes('node_modules')) continue;
    const candidate = path.join(directory, 'node');
    if (!existsSync(candidate)) continue;
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(version.replace(/^v/, '').split('.')[0]) < 24) return candidate;
    } catch {
      // not runnable: keep looking
    }
  }
  return undefined;
}

/** Whether `script` (util-linux) is there to give the CLI a terminal. */
export const hasTerminal = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI on a pseudo-terminal (via `script`), answering each prompt once it has
 * appeared, as a person would. An answer can depend on what the terminal showed so far
 * (a code from the secret it displayed). `output` is everything the terminal showed.
 */
export function runInTerminal(
  args: readonly string[],
  dialogue: ReadonlyArray<readonly [prompt: string, answer: string | ((shown: string) => string)]>,
  options: RunOptions = {},
): Promise<{ code: number | null; output: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SOPHON_')));
  const command = [node24, options.bin ?? sophonBin, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...inherited, ...options.env } as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = 0;
    let searchFrom = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the terminal dialogue stalled at step ${answered}; it showed:\n${output}`));
    }, 20_000);
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const step = dialogue[answered];
      if (!step) return;
      const at = output.indexOf(step[0], searchFrom);
      if (at === -1) return;
      searchFrom = at + step[0].length;
      answered += 1;
      const answer = typeof step[1] === 'function' ? step[1](output) : step[1];
      child.stdin.write(`${answer}\r`);
      onOutput(Buffer.alloc(0));
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

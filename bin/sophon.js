#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// The `sophon` executable. Plain JavaScript, so any Node can start it: on Node 24+ it loads
// src/cli/main.ts (Node strips the types); on an older Node it runs itself again with the
// Node 24 binary of the `node` npm package. V8's young generation is capped at 2 MB a
// semi-space (the shebang, and the re-run below): left to grow, it takes 64–128 MB of the
// server's memory under a few concurrent clients and keeps it; and glibc's malloc keeps two
// arenas rather than one per thread (MALLOC_ARENA_MAX, 15–25 MB less; docs/performance.md, P7).
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REQUIRED_MAJOR = 24;
const self = realpathSync(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  reexecWithNode24();
} else {
  // Type stripping and compiling cost more than the command itself; Node caches both on disk.
  process.getBuiltinModule('node:module').enableCompileCache?.();
  if (self.split(/[\\/]/).includes('node_modules')) stripTypesInstalledSources();
  await import('../src/cli/main.ts');
}

function reexecWithNode24() {
  let binary;
  try {
    // Next to this package (a project's node_modules), or beside it in a global install.
    binary = createRequire(self).resolve('node/bin/node');
  } catch {
    binary = undefined;
  }
  if (!binary || process.env.SOPHON_REEXEC === binary) {
    process.stderr.write(
      `sophon: needs Node.js ${REQUIRED_MAJOR} or newer, and this is ${process.version}. Install Node ${REQUIRED_MAJOR}, or the "node" package beside sophon (npm install -g node@${REQUIRED_MAJOR}).\n`,
    );
    process.exit(5);
  }
  const child = spawn(binary, ['--max-semi-space-size=2', self, ...process.argv.slice(2)], { stdio: 'inherit', env: { MALLOC_ARENA_MAX: '2', ...process.env, SOPHON_REEXEC: binary } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`sophon: cannot start ${binary}: ${error.message}\n`);
    process.exit(5);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

// Node refuses to strip types from files under node_modules, which is where a global or
// dependency install puts src/. Strip them in a load hook for this package's own files.
function stripTypesInstalledSources() {
  const { registerHooks, stripTypeScriptTypes } = process.getBuiltinModule('node:module');
  const { readFileSync } = process.getBuiltinModule('node:fs');
  const packageRoot = new URL('../', import.meta.url).href;
  const realRoot = new URL('../', pathToFileURL(self)).href;
  registerHooks({
    load(url, context, nextLoad) {
      if (url.endsWith('.ts') && (url.startsWith(packageRoot) || url.startsWith(realRoot))) {
        const emitWarning = process.emitWarning;
        process.emitWarning = () => undefined; // stripTypeScriptTypes is flagged experimental; the warning would reach the user
        try {
          return { format: 'module', source: stripTypeScriptTypes(readFileSync(new URL(url), 'utf8')), shortCircuit: true };
        } finally {
          process.emitWarning = emitWarning;
        }
      }
      return nextLoad(url, context);
    },
  });
}

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_DIST } from '../../src/http/routes/dashboard.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const webDir = path.join(root, 'web');
const dist = DASHBOARD_DIST.replace(/\/$/, '');

function newestModification(entry: string): number {
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(entry).map((name) => newestModification(path.join(entry, name))));
}

/** Whether web/dist holds a build at least as new as every source file of the dashboard. */
export function dashboardBuildIsCurrent(): boolean {
  const index = path.join(dist, 'index.html');
  if (!existsSync(index)) return false;
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => newestModification(path.join(webDir, name)));
  return statSync(index).mtimeMs >= Math.max(...sources);
}

/**
 * Builds the dashboard into web/dist when it is missing or older than its sources. The build
 * goes to a staging directory first and is swapped in, so a server another test process is
 * running never sees a half-written web/dist.
 */
export function ensureDashboardBuilt(): void {
  if (dashboardBuildIsCurrent()) return;
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const staging = path.join(cache, `sophon-dashboard-${process.pid}-${Date.now()}`);
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const built = spawnSync(process.execPath, [vite, 'build', '--config', path.join(webDir, 'vite.config.ts'), '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (built.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Building the dashboard failed (npm run build:web):\n${built.stdout}\n${built.stderr}`);
  }
  const previous = `${dist}.previous-${process.pid}`;
  try {
    if (existsSync(dist)) renameSync(dist, previous);
    renameSync(staging, dist);
  } catch (error) {
    // Another process swapped its build in at the same moment: theirs is as good as ours.
    if (!dashboardBuildIsCurrent()) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(previous, { recursive: true, force: true });
  }
}

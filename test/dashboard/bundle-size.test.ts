import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The budget of issue 12: what a first visit downloads before the dashboard shows, gzipped. */
const MAX_INITIAL_JAVASCRIPT_GZIP_BYTES = 150 * 1024;

/**
 * The dashboard as `npm run build:web` ships it. Built here, into a folder of its own, with
 * NODE_ENV=production: the browser tests' build inherits vitest's NODE_ENV=test and so carries
 * React's development build, nearly twice the size.
 */
describe('the production build of the dashboard', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  let dist: string;
  let index: string;
  const referenced = (pattern: RegExp) => [...index.matchAll(pattern)].map((found) => found[1]!);
  const asset = (url: string) => readFileSync(path.join(dist, url.replace(/^\//, '')));

  beforeAll(() => {
    dist = mkdtempSync(path.join(tmpdir(), 'sophon-dashboard-build-'));
    const built = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(root, 'web', 'vite.config.ts'), '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
    );
    if (built.status !== 0) throw new Error(`Building the dashboard failed:\n${built.stdout}\n${built.stderr}`);
    index = readFileSync(path.join(dist, 'index.html'), 'utf8');
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it(`loads at most ${MAX_INITIAL_JAVASCRIPT_GZIP_BYTES / 1024} kB of JavaScript, gzipped, before it shows`, () => {
    // The entry script and whatever it preloads: everything index.html asks for up front.
    const scripts = [...referenced(/<script[^>]+src="([^"]+)"/g), ...referenced(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)];
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((total, url) => total + gzipSync(asset(url)).length, 0);
    expect(gzipped).toBeLessThanOrEqual(MAX_INITIAL_JAVASCRIPT_GZIP_BYTES);
  });

  it('asks for nothing from another origin: no external font, stylesheet or CDN', () => {
    expect(referenced(/(?:src|href)="([^"]+)"/g).filter((url) => !url.startsWith('/assets/'))).toEqual([]);
    const stylesheets = referenced(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g);
    expect(stylesheets.length).toBeGreaterThan(0);
    for (const stylesheet of stylesheets) expect(asset(stylesheet).toString('utf8')).not.toMatch(/@import|url\(\s*['"]?(?:https?:)?\/\//i);
  });
});

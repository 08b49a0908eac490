import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { createDashboardRoutes, DASHBOARD_DIST } from '../../src/http/routes/dashboard.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/** How the API server hands out the dashboard's build (no browser needed). */
describe('serving the dashboard', () => {
  let test: TestServer;
  const raw = (pathname: string) => fetch(test.url + pathname);

  beforeAll(async () => {
    ensureDashboardBuilt();
    test = await startTestServer('sqlite');
  });
  afterAll(() => test?.close());

  it('answers index.html at / with a strict Content-Security-Policy', async () => {
    const response = await raw('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<div id="root"></div>');
  });

  it('answers index.html for the pages the browser routes', async () => {
    for (const page of ['/login', '/set-password', '/admin/users', '/admin/users/some-id', '/admin/roles/new', '/settings/security']) {
      const response = await raw(page);
      expect(response.status, page).toBe(200);
      expect(await response.text(), page).toContain('<div id="root"></div>');
    }
  });

  it('serves the built assets with their content types, cached for good', async () => {
    const files = readdirSync(path.join(DASHBOARD_DIST, 'assets'));
    const script = files.find((name) => name.endsWith('.js'))!;
    const style = files.find((name) => name.endsWith('.css'))!;
    const js = await raw(`/assets/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await raw(`/assets/${style}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves nothing outside the assets folder, however the name is encoded', async () => {
    for (const attempt of ['/assets/..%2Fpackage.json', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/..%5Cindex.html', '/assets/.hidden.js', '/assets/missing.js', '/assets/index.html', '/assets/x.ts']) {
      const response = await raw(attempt);
      expect(response.status, attempt).toBe(404);
      expect((await response.json()).error.code, attempt).toBe('ASSET_NOT_FOUND');
    }
    expect((await raw('/assets/../package.json')).status).toBe(404);
  });

  it('leaves unknown API paths to the JSON 404', async () => {
    const response = await raw('/api/v1/no-such-thing');
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers 503 naming `npm run build:web` when the dashboard is not built', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'sophon-no-dashboard-'));
    const app = await buildApp({ services: test.server.services, routes: createDashboardRoutes(path.join(empty, 'dist')) });
    try {
      for (const url of ['/', '/admin/users', '/assets/index-abc.js']) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode, url).toBe(503);
        expect(response.json().error.code).toBe('DASHBOARD_NOT_BUILT');
        expect(response.json().error.message).toContain('npm run build:web');
      }
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

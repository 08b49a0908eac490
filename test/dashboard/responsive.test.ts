import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, windowTitle, type RoutePattern } from '../../web/src/routes.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, startTestServer, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Every page of the dashboard's route table (web/src/routes.ts), as the installation's Admin
 * sees it, on a phone (390×844), a desktop (1440×900) and in between (760×1000): nothing wider than the screen,
 * the page's own window title, no console error or uncaught exception, and a screenshot of
 * each in a folder printed at the end, and no serious or critical axe-core violation. Layout,
 * not data: SQLite is enough (the tenants' and the other stories run on both engines).
 */
/** axe-core's source, evaluated in the page through the DevTools protocol: the CSP allows no inline script, and nothing is fetched. */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const viewports = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
  // Just above the phone layout, where the top bar is still one row and tables have less room than on a desktop.
  { name: 'tablet', width: 760, height: 1000 },
] as const;

describe('every dashboard page on a phone and on a desktop', () => {
  let test: TestServer;
  let browser: Browser;
  let page: Page;
  /** Every console error and uncaught exception, unfiltered: a 404 the page didn't ask for counts too. */
  const problems: string[] = [];
  /** A concrete address for each page of the route table; a route added without one fails the test. */
  let addresses: Record<RoutePattern, string>;

  beforeAll(async () => {
    ensureDashboardBuilt();
    test = await startTestServer('sqlite');
    // Data that makes the pages wide: a long address, a second tenant, a custom role, members.
    const acme = await test.admin.post('/api/v1/tenants', { slug: 'acme-europe-logistics', name: 'Acme Europe Logistics and Warehousing' });
    expect(acme.status).toBe(201);
    const person = await createSignedInUser(test, { role: 'Viewer', email: 'maximilian.averylongsurname-hyphenated@subsidiary.example-company.test', displayName: 'Maximilian Averylongsurname-Hyphenated' });
    expect((await test.admin.put(`/api/v1/tenants/acme-europe-logistics/members/${person.id}`, { role: 'Operator' })).status).toBe(200);
    const role = await test.admin.post('/api/v1/roles', { name: 'workflow-editor', description: 'Edits workflows and what triggers them', permissions: ['ViewUsers', 'ManageWorkflows'] });
    expect(role.status).toBe(201);
    // A recorded access review (the Admin without 2FA is a finding even in a fresh installation).
    const review = await test.admin.post('/api/v1/access-reviews', { stale: '90d', note: 'Quarterly review of the default tenant and everything it holds' });
    expect(review.status).toBe(201);
    // A pending access request, with a long reason, for the approvers' page.
    const asked = await person.client.post('/api/v1/me/access-requests', { role: 'Admin', duration: '4h', reason: 'Reconcile the warehouse workflows of the Rotterdam and Hamburg sites before the quarterly close' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    addresses = {
      '/admin/users': '/admin/users',
      '/admin/users/new': '/admin/users/new',
      '/admin/users/import': '/admin/users/import',
      '/admin/users/:id': `/admin/users/${person.id}`,
      '/admin/users/:id/roles': `/admin/users/${person.id}/roles`,
      '/admin/users/:id/sessions': `/admin/users/${person.id}/sessions`,
      '/admin/users/:id/activity': `/admin/users/${person.id}/activity`,
      '/admin/users/:id/security': `/admin/users/${person.id}/security`,
      '/admin/roles': '/admin/roles',
      '/admin/roles/new': '/admin/roles/new',
      '/admin/roles/:id': `/admin/roles/${role.body.id}`,
      '/admin/tenants': '/admin/tenants',
      '/admin/tenants/:tenant': '/admin/tenants/acme-europe-logistics',
      '/admin/audit': '/admin/audit',
      '/admin/access-review': '/admin/access-review?stale=90d',
      '/admin/access-reviews/:id': `/admin/access-reviews/${review.body.review.id}`,
      '/admin/access-requests': '/admin/access-requests',
      '/admin/settings/authentication': '/admin/settings/authentication',
      '/settings/security': '/settings/security',
      '/settings/access-requests': '/settings/access-requests',
    };

    browser = await launchBrowser('responsive');
    page = browser.page;
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${new URL(page.url()).pathname}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${new URL(page.url()).pathname}: ${error.message}`));
    await page.goto(test.url + '/login');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
    if (browser) console.log(`responsive screenshots (390×844, 760×1000 and 1440×900): ${browser.screenshotDir}`);
  });

  /** Loads a page and waits until its data is on screen. */
  async function open(address: string) {
    await page.goto(test.url + address);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading…'));
  }

  /** axe-core's serious and critical violations on the page as it stands. */
  async function accessibilityViolations(): Promise<string[]> {
    await page.evaluate(axeSource);
    const { violations, passed, minor } = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[]; passes: unknown[] }> } }).axe;
      const results = await axe.run(document, {});
      return { violations: results.violations, passed: results.passes.length, minor: results.violations.filter((violation) => violation.impact === 'minor' || violation.impact === 'moderate').map((violation) => violation.id) };
    });
    // A check that ran no rule would pass anything.
    expect(passed).toBeGreaterThan(10);
    if (minor.length && process.env.SOPHON_AXE_VERBOSE) console.log(new URL(page.url()).pathname, 'moderate/minor:', minor.join(', '));
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.impact} ${violation.id} (${violation.help}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  }

  const overflow = () => page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth }));

  it('has an address for every page of the route table', () => {
    expect(Object.keys(addresses).sort()).toEqual(routes.map((route) => route.pattern).sort());
  });

  for (const viewport of viewports) {
    it(`fits every page into ${viewport.width}×${viewport.height}, titled, without console errors`, async () => {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      const tooWide: string[] = [];
      const inaccessible: string[] = [];
      for (const route of routes) {
        const address = addresses[route.pattern];
        await open(address);
        expect(await page.title(), address).toBe(windowTitle(route.title));
        const { scrollWidth, viewport: width } = await overflow();
        if (scrollWidth > width) tooWide.push(`${address}: ${scrollWidth} px`);
        await browser.screenshot(`${viewport.name}-${route.pattern.replace(/^\//, '').replace(/[/:]+/g, '-')}`);
        for (const violation of await accessibilityViolations()) inaccessible.push(`${address}: ${violation}`);
      }
      expect(tooWide).toEqual([]);
      expect(problems).toEqual([]);
      expect(inaccessible).toEqual([]);
    });
  }

  it('folds the navigation behind a Menu button on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('/admin/users');
    const navigation = page.getByRole('navigation', { name: 'Main' });
    const menu = page.getByRole('button', { name: 'Menu' });
    await expect(navigation.isVisible()).resolves.toBe(false);
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await menu.click();
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
    await navigation.getByRole('link', { name: 'Security', exact: true }).waitFor();
    const { scrollWidth, viewport } = await overflow();
    expect(scrollWidth).toBeLessThanOrEqual(viewport);
    await browser.screenshot('phone-menu-open');
    // Escape folds it and gives the focus back to the button; the keyboard reaches the links in order.
    await navigation.getByRole('link', { name: 'Roles', exact: true }).focus();
    await page.keyboard.press('Escape');
    await expect(navigation.isVisible()).resolves.toBe(false);
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Menu');
    await page.keyboard.press('Enter');
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Users');
    await navigation.getByRole('link', { name: 'Tenants', exact: true }).click();
    await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
    // A page change folds the menu again.
    await expect(navigation.isVisible()).resolves.toBe(false);

    await page.setViewportSize({ width: 1440, height: 900 });
    await expect(menu.isVisible()).resolves.toBe(false);
    await expect(navigation.isVisible()).resolves.toBe(true);
  });

  it('offers "Skip to content" as the first stop of the keyboard', async () => {
    await open('/admin/roles');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('content');
    expect(new URL(page.url()).pathname).toBe('/admin/roles');
    expect(problems).toEqual([]);
  });

  it('fits the signed-out pages too, titled, without console errors (no /me probe without a session)', async () => {
    await browser.context.clearCookies();
    const inaccessible: string[] = [];
    for (const viewport of viewports) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const [address, title] of [
        ['/login', 'Sign in'],
        ['/set-password', 'Set password'],
      ] as const) {
        await page.goto(test.url + address);
        await page.locator('h1').first().waitFor();
        expect(await page.title()).toBe(windowTitle(title));
        const { scrollWidth, viewport: width } = await overflow();
        expect(scrollWidth, `${address} at ${viewport.width} px`).toBeLessThanOrEqual(width);
        await browser.screenshot(`${viewport.name}-${address.slice(1)}`);
        for (const violation of await accessibilityViolations()) inaccessible.push(`${address}: ${violation}`);
      }
    }
    expect(inaccessible).toEqual([]);
    expect(problems).toEqual([]);
  });
});

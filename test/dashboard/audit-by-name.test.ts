import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { enrol } from '../support/two-factor.ts';
import { launchBrowser, signInThroughPage, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Issue 12 in Chromium, on each engine: the audit log read by name (actor and subject by name
 * and email, the id one click away, the tenant of each event, a link to the user's page), the
 * "All tenants I can see" view (the tenants where the caller reads the trail, never another),
 * the users list sorted by its column headers (aria-sort, through the API), and the Security
 * tab's recovery codes left.
 */
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('audit-by-name');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
  if (browser) console.log(`audit-by-name screenshots: ${browser.screenshotDir}`);
});

describe.each(engines)('audit by name, all tenants, sorting on %s', (engine) => {
  let test: TestServer;
  let auditor: { id: string; email: string };
  let carol: { id: string; email: string };

  const auditTable = () => page.getByRole('table', { name: 'Audit events' });

  beforeAll(async () => {
    test = await startTestServer(engine);
    for (const slug of ['alpha', 'beta', 'gamma']) expect((await test.admin.post('/api/v1/tenants', { slug, name: `Tenant ${slug}` })).status).toBe(201);
    auditor = await createSignedInUser(test, { role: 'Viewer', tenant: 'alpha', displayName: 'Ada Auditor' });
    expect((await test.admin.inTenant('beta').put(`/api/v1/users/${auditor.id}/role`, { role: 'Viewer' })).status).toBe(200);
    const carolEmail = uniqueEmail('carol');
    carol = { email: carolEmail, id: (await test.admin.post('/api/v1/users', { email: carolEmail, displayName: 'Carol Subject', tenant: 'alpha', role: 'Viewer' })).body.user.id };
    expect((await test.admin.inTenant('alpha').put(`/api/v1/users/${carol.id}/role`, { role: 'Operator' })).status).toBe(200);
    expect((await test.admin.post('/api/v1/users', { email: uniqueEmail('bea'), displayName: 'Bea Beta', tenant: 'beta', role: 'Viewer' })).status).toBe(201);
    expect((await test.admin.post('/api/v1/users', { email: uniqueEmail('gus'), displayName: 'Gus Gamma', tenant: 'gamma', role: 'Viewer' })).status).toBe(201);
  });
  afterAll(() => test?.close());

  it('shows who did what to whom by name and email, in which tenant, with the id one click away', async () => {
    await signInThroughPage(browser, test.url, auditor.email, USER_PASSWORD);
    await page.goto(test.url + '/admin/audit?category=rbac');
    const row = auditTable().locator('tbody tr', { hasText: 'role.assigned' }).filter({ hasText: 'Carol Subject' }).first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(carol.email);
    await expect(row.textContent()).resolves.toContain(ADMIN_EMAIL);
    await expect(row.locator('td.tenant').textContent()).resolves.toBe('alpha');
    // The diff at a glance: the role before and after.
    await expect(row.locator('td.changes').textContent()).resolves.toMatch(/role\s*Viewer\s*→\s*Operator/);
    // The id, one click away.
    const subject = row.locator('td.subject');
    await expect(subject.getByText(carol.id).isVisible()).resolves.toBe(false);
    await subject.getByText('Id', { exact: true }).click();
    await expect(subject.getByText(carol.id).isVisible()).resolves.toBe(true);
    await browser.screenshot(`${engine}-audit-by-name`);
    // The user's name links to their page.
    await subject.getByRole('link', { name: 'Carol Subject' }).click();
    await page.getByRole('heading', { name: 'Carol Subject' }).first().waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/users/${carol.id}`);
  });

  it("reads every tenant the caller can see under 'All tenants I can see', and no other", async () => {
    await page.goto(test.url + '/admin/audit');
    await auditTable().waitFor();
    const tenantsShown = async () => new Set((await auditTable().locator('td.tenant').allTextContents()).map((text) => text.trim()));
    expect(await tenantsShown()).toEqual(new Set(['alpha']));
    await page.getByLabel('All tenants I can see').check();
    await page.waitForURL(/scope=all/);
    await auditTable().locator('tbody tr', { hasText: 'Bea Beta' }).first().waitFor();
    await expect.poll(tenantsShown).toEqual(new Set(['alpha', 'beta']));
    await expect(auditTable().textContent()).resolves.not.toContain('Gus Gamma');
    await browser.screenshot(`${engine}-audit-all-tenants`);
    // A filter keeps the view.
    await page.getByLabel('Category').selectOption('users');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/category=users/);
    expect(page.url()).toContain('scope=all');
    await page.getByLabel('All tenants I can see').uncheck();
    await page.waitForURL((url) => !url.search.includes('scope=all'));
    // Until this tenant's page arrives, the union is still on screen.
    await expect.poll(tenantsShown).toEqual(new Set(['alpha']));
  });

  it('sorts the users list by a column header, through the API, saying so with aria-sort', async () => {
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const name of ['zed Zulu', 'Anna Able', 'mike Moss']) await test.admin.post('/api/v1/users', { email: uniqueEmail(name.split(' ')[0]!.toLowerCase()), displayName: name, role: 'Viewer' });
    await page.goto(test.url + '/admin/users');
    const table = page.getByRole('table', { name: 'Users' });
    await table.waitFor();
    const header = (name: string) => table.locator('th', { has: page.getByRole('button', { name }) });
    await expect(header('Created').getAttribute('aria-sort')).resolves.toBe('ascending');
    await expect(header('Name').getAttribute('aria-sort')).resolves.toBe('none');
    const names = async () => (await table.locator('tbody tr td:nth-child(2)').allTextContents()).map((text) => text.trim());
    const expected = (await test.admin.get('/api/v1/users?limit=200&sort=name')).body.items.map((user: { displayName: string; email: string }) => user.displayName || user.email);

    await header('Name').getByRole('button').click();
    await page.waitForURL(/sort=name&order=asc/);
    await expect.poll(names).toEqual(expected);
    await expect(header('Name').getAttribute('aria-sort')).resolves.toBe('ascending');
    await expect(header('Created').getAttribute('aria-sort')).resolves.toBe('none');
    await browser.screenshot(`${engine}-users-sorted-by-name`);

    await header('Name').getByRole('button').click();
    await page.waitForURL(/sort=name&order=desc/);
    await expect.poll(names).toEqual([...expected].reverse());
    await expect(header('Name').getAttribute('aria-sort')).resolves.toBe('descending');
    // By keyboard too.
    await header('Email').getByRole('button').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=email&order=asc/);
    await expect(header('Email').getAttribute('aria-sort')).resolves.toBe('ascending');
  });

  it("shows on the Security tab how many recovery codes an enrolled user has left", async () => {
    const user = await createSignedInUser(test, { role: 'Viewer', displayName: 'Rae Recovery' });
    await enrol(test, user.client, USER_PASSWORD);
    await page.goto(test.url + `/admin/users/${user.id}/security`);
    await expect(page.getByLabel('Recovery codes left').textContent()).resolves.toMatch(/^10 recovery codes left/);
    const other = await createSignedInUser(test, { role: 'Viewer', displayName: 'Noel Notenrolled' });
    await page.goto(test.url + `/admin/users/${other.id}/security`);
    await expect(page.getByLabel('Last invitation or reset mail').textContent()).resolves.toContain('No invitation or reset mail');
    await browser.screenshot(`${engine}-security-tab`);
    expect(browser.problems).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});

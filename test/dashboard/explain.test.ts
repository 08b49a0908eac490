import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser, signInThroughPage } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/** The user page's Effective permissions: a "Why?" on each shows GET /users/:id/explain inline. */
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('explain');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
});

describe.each(engines)('"Why?" on effective permissions on %s', (engine) => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('explains a granted permission: the role, since when and by whom', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer' });
    await page.goto(`${test.url}/admin/users/${person.id}/roles`);
    await page.getByRole('button', { name: 'Why ViewUsers?' }).click();
    const region = page.getByRole('region', { name: 'Why ViewUsers' });
    await region.getByText('granted', { exact: false }).first().waitFor();
    await expect(region.textContent()).resolves.toMatch(/ViewUsers in tenant default: granted \(not time-bound\)\.Through the role Viewer in default, assigned .* by admin@sophon\.local/);
    await browser.screenshot(`${engine}-why-granted`);
  });

  it('explains a permission held elsewhere but refused here, and who may grant it', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer' });
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${person.id}`, { role: 'Operator' })).status).toBe(200);
    await page.goto(`${test.url}/admin/users/${person.id}/roles`);
    await page.getByRole('button', { name: 'Why ApproveActions?' }).click();
    const region = page.getByRole('region', { name: 'Why ApproveActions' });
    await region.getByText('ROLE_LACKS_PERMISSION').waitFor();
    const offers = region.getByRole('list', { name: 'Roles that would grant it' });
    await expect(offers.textContent()).resolves.toContain(`Operator: ask ${ADMIN_EMAIL}`);
    // The same answer as the API's.
    const api = (await test.admin.get(`/api/v1/users/${person.id}/explain?permission=ApproveActions`)).body.permissions[0];
    expect(api.reasons[0].code).toBe('ROLE_LACKS_PERMISSION');
    // A second "Why?" opens another without asking again; the same one closes it.
    await page.getByRole('button', { name: 'Why ViewUsers?' }).click();
    await page.getByRole('region', { name: 'Why ViewUsers' }).getByText('granted', { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'Why ViewUsers?' }).click();
    await expect(page.getByRole('region', { name: 'Why ViewUsers' }).count()).resolves.toBe(0);
    await browser.screenshot(`${engine}-why-refused`);
  });
});

import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { launchBrowser, signInThroughPage, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Access requests and time-bound roles in Chromium against the real server (issue 9, part 2),
 * with the test's clock: Dana asks for Operator in acme for 4 hours (Settings → Request access);
 * an approver refused on their own request sees the server's message, then approves Dana's; her
 * Roles tab shows Operator until its end, then Viewer, and "Why?" says the grant is time-bound;
 * past the end Viewer applies again. A role set on the Roles tab "for 8 hours" shows its end there and among the tenant's members.
 */
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('access-requests');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
});

const HOUR = 3_600_000;

describe.each(engines)('access requests in the dashboard on %s', (engine) => {
  let test: TestServer;
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const navigation = () => page.getByRole('navigation', { name: 'Main' });

  beforeAll(async () => {
    test = await startTestServer(engine);
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a request approved by another admin gives the role until its end, shown on the Roles tab and in Why?', async () => {
    const dana = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Dana' });
    const approver = await createSignedInUser(test, { role: 'Admin', tenant: 'acme', displayName: 'Approver' });

    // Dana asks, from Settings → Request access.
    await signInThroughPage(browser, test.url, dana.email, USER_PASSWORD);
    await expect(navigation().getByRole('link', { name: 'Access requests', exact: true }).count()).resolves.toBe(0);
    await navigation().getByRole('link', { name: 'Request access', exact: true }).click();
    await heading('Request access').waitFor();
    expect(await page.title()).toBe('Request access — Sophon Identity');
    const form = page.getByRole('form', { name: 'Request access' });
    await form.getByLabel('Role').selectOption('Operator');
    await form.getByLabel('For').selectOption({ label: '4 hours' });
    await form.getByLabel('Reason').fill('approve the stuck deployment in acme');
    await form.getByRole('button', { name: 'Request access' }).click();
    await page.getByText('Requested Operator in acme for 4 hours: waiting for an approver.').waitFor();
    const mine = page.getByRole('table', { name: 'Your requests' });
    await expect(mine.getByRole('row').nth(1).textContent()).resolves.toMatch(/Operator.*in acme.*4 hours.*approve the stuck deployment in acme.*pending/);
    await browser.screenshot(`${engine}-01-requested`);
    // As a Viewer she can't approve anything.
    expect((await dana.client.inTenant('acme').get('/api/v1/access-requests')).status).toBe(403);

    // The approver's own request is theirs to wait on: the server refuses their approval, and the page says why.
    const own = await approver.client.inTenant('acme').post('/api/v1/me/access-requests', { role: 'Viewer', duration: '1h', reason: 'see it as an auditor does' });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    await signInThroughPage(browser, test.url, approver.email, USER_PASSWORD);
    await navigation().getByRole('link', { name: 'Access requests', exact: true }).click();
    await heading('Access requests').waitFor();
    expect(await page.title()).toBe('Access requests — Sophon Identity');
    const ownItem = page.getByRole('listitem', { name: `${approver.email} asks for Viewer` });
    await ownItem.getByText('This is your own request: another approver must decide it.').waitFor();
    await ownItem.getByRole('button', { name: 'Approve' }).click();
    await ownItem.getByRole('alert').getByText('You cannot approve or deny your own access request; another approver must decide it.').waitFor();
    expect((await test.admin.inTenant('acme').get(`/api/v1/access-requests/${own.body.id}`)).body.status).toBe('pending');

    // Dana's request, approved with a reason.
    const danaItem = page.getByRole('listitem', { name: `${dana.email} asks for Operator` });
    await expect(danaItem.textContent()).resolves.toContain('approve the stuck deployment in acme');
    await browser.screenshot(`${engine}-02-pending`);
    await danaItem.getByLabel('Your reason').fill('ok for today');
    const approvedAt = test.clock.now().getTime();
    await danaItem.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').getByText(`Approved: ${dana.email} holds Operator until`).waitFor();
    const decided = page.getByRole('table', { name: 'Decided' });
    await expect(decided.getByRole('row').filter({ hasText: dana.email }).textContent()).resolves.toMatch(/approved.*ok for today/);
    await browser.screenshot(`${engine}-03-approved`);

    // The API agrees: Operator until four hours from the approval, then Viewer.
    const shown = (await test.admin.inTenant('acme').get(`/api/v1/users/${dana.id}`)).body;
    expect(shown).toMatchObject({ role: 'Operator', thenRole: 'Viewer' });
    expect(Date.parse(shown.roleEndsAt) - approvedAt).toBe(4 * HOUR);
    const until = await page.evaluate((iso) => {
      const date = new Date(iso);
      // As the dashboard's formatTime writes it: the date and the time each unbroken.
      const unbroken = (text: string) => text.replace(/\s/g, '\u00a0');
      return `${unbroken(date.toLocaleDateString(undefined, { dateStyle: 'medium' }))}, ${unbroken(date.toLocaleTimeString(undefined, { timeStyle: 'short' }))}`;
    }, shown.roleEndsAt);

    // Dana's Roles tab (the approver acts in acme, their home): the role with its end, and Why? says so.
    await page.goto(`${test.url}/admin/users/${dana.id}/roles`);
    const row = page.getByRole('table').first().getByRole('row').filter({ hasText: 'acme' });
    await expect(row.textContent()).resolves.toContain(`until ${until}, then Viewer`);
    await page.getByRole('button', { name: 'Why ApproveActions?' }).click();
    const why = page.getByRole('region', { name: 'Why ApproveActions' });
    await why.getByText('time-bound until', { exact: false }).waitFor();
    await expect(why.textContent()).resolves.toContain(`ApproveActions in tenant acme: granted (time-bound until ${until}, then Viewer again).`);
    await browser.screenshot(`${engine}-04-roles-tab`);

    // Her own page says approved, until when.
    await signInThroughPage(browser, test.url, dana.email, USER_PASSWORD);
    await page.goto(`${test.url}/settings/access-requests`);
    // The top bar's user menu says the role she holds now, and until when.
    await expect(page.locator('.user-menu').textContent()).resolves.toContain(`Operator until ${until}`);
    await expect(page.getByRole('table', { name: 'Your requests' }).getByRole('row').nth(1).textContent()).resolves.toContain(`until ${until}; by ${approver.email}`);

    // Past the end, Viewer applies again at the first request: no ApproveActions.
    test.clock.advance(4 * HOUR + 1000);
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${dana.id}`)).body).toMatchObject({ role: 'Viewer', roleEndsAt: null });
    expect(browser.problems).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });

  it('sets a role for 8 hours from the Roles tab and shows its end', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Pat' });
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
    await page.getByText('Tenant').first().waitFor();
    await page.goto(`${test.url}/admin/users/${person.id}/roles`);
    await page.getByLabel('Role in acme').selectOption('Operator');
    await page.getByLabel('How long in acme').selectOption({ label: 'For 8 hours' });
    const setAt = test.clock.now().getTime();
    await page.getByRole('row').filter({ hasText: 'acme' }).getByRole('button', { name: 'Save role' }).click();
    await page.getByRole('row').filter({ hasText: 'acme' }).getByText(', then Viewer').waitFor();
    const shown = (await test.admin.inTenant('acme').get(`/api/v1/users/${person.id}`)).body;
    expect(shown).toMatchObject({ role: 'Operator', thenRole: 'Viewer' });
    expect(Date.parse(shown.roleEndsAt) - setAt).toBe(8 * HOUR);
    await browser.screenshot(`${engine}-05-set-for-8-hours`);
    // Admin → Tenants → acme (ManageTenants, from default) lists the member with the same end.
    await page.getByLabel('Tenant', { exact: true }).selectOption('default');
    await navigation().getByRole('link', { name: 'Tenants', exact: true }).waitFor();
    await page.goto(`${test.url}/admin/tenants/acme`);
    const member = page.getByRole('table', { name: 'Members' }).getByRole('row').filter({ hasText: person.email });
    await member.getByText(', then Viewer').waitFor();
    await expect(member.textContent()).resolves.toContain('Operator');
    expect(browser.problems).toEqual([]);
  });
});

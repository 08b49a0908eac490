import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Admin → Tenants in Chromium against the real server, on each engine: a new admin creates
 * a tenant, renames it, gives a member a role, follows the link to its sign-in settings, is
 * told why a tenant with users at home can't be deleted (as the API refuses it), deletes an
 * empty one; a Viewer finds no Tenants page.
 */
// One browser for the file: each engine's server has an origin (port) of its own, and its cookies are cleared before.
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('tenants');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
  if (browser) console.log(`tenants screenshots: ${browser.screenshotDir}`);
});

describe.each(engines)('Admin → Tenants on %s', (engine) => {
  let test: TestServer;

  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const tenantsLink = () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants', exact: true });

  async function signIn(email: string, password: string) {
    await page.goto(test.url + '/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  beforeAll(async () => {
    test = await startTestServer(engine);
    await browser.context.clearCookies();
    await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('lists the tenants with their members and creates one, its creator as Admin', async () => {
    await tenantsLink().click();
    await heading('Tenants').waitFor();
    expect(await page.title()).toBe('Tenants — Sophon Identity');
    const table = page.getByRole('table', { name: 'All tenants' });
    const defaultRow = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'default', exact: true }) });
    const members = (await test.admin.get('/api/v1/tenants')).body.items.find((tenant: { slug: string }) => tenant.slug === 'default').memberCount;
    await expect(defaultRow.getByRole('cell').nth(2).textContent()).resolves.toBe(String(members));

    await page.getByLabel('Slug').fill('acme');
    await page.getByLabel('Name', { exact: true }).fill('Acme Corporation');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await heading('Acme Corporation').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/tenants/acme');
    const created = await test.admin.get('/api/v1/tenants/acme');
    expect(created.body).toMatchObject({ slug: 'acme', name: 'Acme Corporation' });
    const adminRow = page.getByRole('table', { name: 'Members' }).getByRole('row').filter({ hasText: ADMIN_EMAIL });
    await expect(adminRow.getByLabel(`Role of ${ADMIN_EMAIL}`, { exact: true }).inputValue()).resolves.toBe('Admin');
    // The creator can act there at once: the tenant switcher offers it.
    await page.getByLabel('Tenant', { exact: true }).locator('option', { hasText: 'acme (Admin)' }).waitFor({ state: 'attached' });
    await browser.screenshot(`${engine}-01-tenant-created`);
  });

  it('refuses a slug the server refuses, with its message', async () => {
    await page.goto(test.url + '/admin/tenants');
    await page.getByLabel('Slug').fill('Not A Slug');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('alert').filter({ hasText: 'Tenant slug "Not A Slug" is invalid' }).waitFor();
    expect((await test.admin.get('/api/v1/tenants')).body.items.map((tenant: { slug: string }) => tenant.slug).sort()).toEqual(['acme', 'default']);
  });

  it('renames a tenant', async () => {
    await page.goto(test.url + '/admin/tenants/acme');
    await page.getByLabel('Tenant name').fill('Acme Europe');
    await page.getByRole('button', { name: 'Rename' }).click();
    await heading('Acme Europe').waitFor();
    expect((await test.admin.get('/api/v1/tenants/acme')).body.name).toBe('Acme Europe');
  });

  it("changes a member's role in the tenant", async () => {
    const member = await createSignedInUser(test, { role: 'Viewer', displayName: 'Mia Member' });
    expect((await test.admin.put(`/api/v1/tenants/acme/members/${member.id}`, { role: 'Viewer' })).status).toBe(200);
    await page.goto(test.url + '/admin/tenants/acme');
    const row = page.getByRole('table', { name: 'Members' }).getByRole('row').filter({ hasText: member.email });
    await row.getByText('Mia Member').waitFor();
    await row.getByLabel(`Role of ${member.email}`, { exact: true }).selectOption('Operator');
    await row.getByRole('button', { name: `Set role of ${member.email}` }).click();
    await page.getByRole('status').filter({ hasText: `${member.email} is now Operator in acme.` }).waitFor();
    const members = (await test.admin.get('/api/v1/tenants/acme/members')).body.items as { userId: string; role: { name: string } }[];
    expect(members.find((entry) => entry.userId === member.id)?.role.name).toBe('Operator');
    // Their role at home is untouched.
    const home = (await test.admin.get('/api/v1/tenants/default/members?limit=500')).body.items as { userId: string; role: { name: string } }[];
    expect(home.find((entry) => entry.userId === member.id)?.role.name).toBe('Viewer');
    await browser.screenshot(`${engine}-02-member-role`);
  });

  it('pages through the members 50 at a time', async () => {
    expect((await test.admin.post('/api/v1/tenants', { slug: 'crowd', name: 'Crowd' })).status).toBe(201);
    // With the creator, 52 members: a full page and two more.
    for (let batch = 0; batch < 51; batch += 17) {
      const created = await Promise.all(
        Array.from({ length: 17 }, (_, index) =>
          test.admin.post('/api/v1/users', { email: `crowd-${engine}-${batch + index}@example.test`, displayName: `Crowd ${batch + index}`, role: 'Viewer', tenant: 'crowd', password: 'initial password 123' }),
        ),
      );
      expect(created.map((answer) => answer.status)).toEqual(created.map(() => 201));
    }
    await page.goto(test.url + '/admin/tenants/crowd');
    const rows = page.getByRole('table', { name: 'Members' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    const firstPage = await rows.allTextContents();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(firstPage).not.toContain((await rows.allTextContents())[0]);
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows.count()).toBe(50);
  });

  it("links to the tenant's own sign-in settings", async () => {
    await page.goto(test.url + '/admin/tenants/acme');
    await page.getByRole('link', { name: 'Authentication settings of acme' }).click();
    await heading('Authentication settings').waitFor();
    await expect(page.getByLabel('Tenant to configure').inputValue()).resolves.toBe('acme');
    await page.getByRole('table', { name: 'What applies in acme' }).waitFor();
  });

  it('says why a tenant with users at home cannot be deleted, as the API refuses it', async () => {
    await createSignedInUser(test, { role: 'Viewer', tenant: 'acme' });
    await page.goto(test.url + '/admin/tenants/acme');
    const remove = page.getByRole('button', { name: 'Delete tenant' });
    await remove.waitFor();
    await expect(remove.isDisabled()).resolves.toBe(true);
    const reasonId = (await remove.getAttribute('aria-describedby'))!;
    expect(reasonId).toBeTruthy();
    const reason = await page.locator(`[id="${reasonId}"]`).textContent();
    expect(reason).toContain("can't be deleted while 1 user has it as home tenant");
    await expect(page.getByRole('list', { name: 'What acme holds' }).getByRole('listitem').allTextContents()).resolves.toEqual(['3 members', '1 user at home', '0 resources']);
    const refused = await test.admin.delete('/api/v1/tenants/acme');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('TENANT_NOT_EMPTY');
    await browser.screenshot(`${engine}-03-delete-refused`);

    await page.goto(test.url + '/admin/tenants/default');
    await expect(page.getByRole('button', { name: 'Delete tenant' }).isDisabled()).resolves.toBe(true);
    await page.getByText("The default tenant is the installation's home and cannot be deleted.", { exact: true }).waitFor();
  });

  it('deletes an empty tenant after saying what goes with it', async () => {
    expect((await test.admin.post('/api/v1/tenants', { slug: 'scratch', name: 'Scratch' })).status).toBe(201);
    await page.goto(test.url + '/admin/tenants/scratch');
    await page.getByRole('button', { name: 'Delete tenant' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete scratch?' });
    await dialog.getByText('scratch (Scratch) and its custom roles go for good').waitFor();
    await dialog.getByRole('button', { name: 'Delete tenant' }).click();
    await heading('Tenants').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/tenants');
    expect((await test.admin.get('/api/v1/tenants/scratch')).status).toBe(404);
    await expect(page.getByRole('table', { name: 'All tenants' }).getByRole('link', { name: 'scratch' }).count()).resolves.toBe(0);
  });

  it('shows a Viewer no Tenants entry, and the page says what it needs', async () => {
    const viewer = await createSignedInUser(test, { role: 'Viewer' });
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading('Sign in').waitFor();
    await signIn(viewer.email, USER_PASSWORD);
    await expect(tenantsLink().count()).resolves.toBe(0);
    await page.goto(test.url + '/admin/tenants');
    await heading('Not available').waitFor();
    await page.getByText('This page needs the ManageTenants permission in tenant default.').waitFor();
    expect(browser.problems).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});

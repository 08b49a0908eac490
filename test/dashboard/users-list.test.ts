import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/store.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Admin → Users in Chromium against the real server, on each engine: the Done-when of issue 12
 * (every user without enrolled 2FA found with one filter and suspended in one bulk action), the
 * filters kept in the address, "Load more" with its count, and a bulk action where the server
 * refuses one user: the row says why, the others are done.
 */
// One browser for the file: each engine's server has an origin (port) of its own, and its cookies are cleared before.
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('users-list');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
  if (browser) console.log(`users-list screenshots: ${browser.screenshotDir}`);
});

interface Listed {
  id: string;
  email: string;
  status: string;
  role: string | null;
  twoFactorEnabled: boolean;
}

describe.each(engines)('Admin → Users list on %s', (engine) => {
  let test: TestServer;
  let store: Store;
  const enrolled: string[] = [];
  const notEnrolled: string[] = [];

  const table = () => page.getByRole('table', { name: 'Users' });
  const rows = () => table().locator('tbody tr');
  const bulk = () => page.getByRole('group', { name: 'Bulk actions' });
  const results = () => page.getByRole('list', { name: 'Result per user' });
  const emailsShown = async () => (await rows().locator('td:nth-child(3)').allTextContents()).sort();

  async function signIn(email: string, password: string) {
    await browser.context.clearCookies();
    await page.goto(test.url + '/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  /** Everyone the API lists for these filters, every page. */
  async function listed(filters: Record<string, string>): Promise<Listed[]> {
    const all: Listed[] = [];
    for (let cursor = ''; ; ) {
      const answer = await test.admin.get('/api/v1/users?' + new URLSearchParams({ ...filters, limit: '200', ...(cursor ? { cursor } : {}) }));
      expect(answer.status).toBe(200);
      all.push(...answer.body.items);
      if (!answer.body.nextCursor) return all;
      cursor = answer.body.nextCursor;
    }
  }

  async function enrolTwoFactor(userId: string) {
    const now = test.clock.now().toISOString();
    await store.twoFactor.savePending({ userId, status: 'pending', secretCiphertext: 'sealed', secretKeyId: 'key', createdAt: now, enabledAt: null, lastUsedStep: null });
    await store.twoFactor.enable(userId, now, 0);
  }

  beforeAll(async () => {
    test = await startTestServer(engine);
    store = test.server.services.context.store;
    for (const name of ['Nora One', 'Nora Two', 'Nora Three']) notEnrolled.push((await createSignedInUser(test, { role: 'Viewer', displayName: name, email: `${name.replace(' ', '.').toLowerCase()}@example.test` })).id);
    for (const name of ['Erin One', 'Erin Two']) {
      const user = await createSignedInUser(test, { role: 'Operator', displayName: name, email: `${name.replace(' ', '.').toLowerCase()}@example.test` });
      await enrolTwoFactor(user.id);
      enrolled.push(user.id);
    }
    const linked = enrolled[0]!;
    await store.externalIdentities.create({ issuer: 'https://idp.example.test', subject: linked, userId: linked, createdAt: test.clock.now().toISOString(), lastLoginAt: null });
    await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('finds every user without enrolled 2FA with one filter and suspends them in one bulk action', async () => {
    await page.goto(test.url + '/admin/users');
    await rows().first().waitFor();
    // The 2FA and SSO columns, as the API has them.
    const erin = rows().filter({ hasText: 'erin.one@example.test' });
    await expect(erin.locator('td:nth-child(7)').textContent()).resolves.toBe('enrolled');
    await expect(erin.locator('td:nth-child(8)').textContent()).resolves.toBe('linked');

    await page.getByLabel('2FA', { exact: true }).selectOption('not_enrolled');
    await page.waitForURL(/[?&]twoFactor=not_enrolled/);
    const without = await listed({ twoFactor: 'not_enrolled' });
    expect(without.map((user) => user.id).sort()).toEqual([...notEnrolled, without.find((user) => user.email === ADMIN_EMAIL)!.id].sort());
    await expect.poll(emailsShown).toEqual(without.map((user) => user.email).sort());
    expect(new Set(await rows().locator('td:nth-child(7)').allTextContents())).toEqual(new Set(['not\u00a0enrolled']));
    await expect(page.getByRole('status', { name: 'Users shown' }).textContent()).resolves.toBe('4 users shown');

    // Everyone on the page but yourself.
    await table().getByLabel('Select all shown users').check();
    await table().getByLabel(`Select ${ADMIN_EMAIL}`).uncheck();
    await bulk().getByText('3 selected').waitFor();
    await bulk().getByRole('button', { name: 'Suspend', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspend 3 users?' });
    await dialog.getByRole('listitem').filter({ hasText: 'nora.one@example.test' }).waitFor();
    await browser.screenshot(`${engine}-01-suspend-confirmation`);
    await dialog.getByRole('button', { name: 'Suspend 3 users' }).click();

    await page.getByRole('heading', { name: 'Suspend: 3 done, 0 refused' }).waitFor();
    expect((await results().getByRole('listitem').allTextContents()).sort()).toEqual(['done nora.one@example.test', 'done nora.three@example.test', 'done nora.two@example.test']);
    const after = await listed({});
    for (const user of after) expect(user.status, user.email).toBe(notEnrolled.includes(user.id) ? 'suspended' : 'active');
    // The list reloaded: the same filter, the new statuses.
    await expect.poll(async () => (await rows().filter({ hasText: 'nora.' }).locator('td:nth-child(6)').allTextContents()).join(',')).toBe('suspended,suspended,suspended');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await browser.screenshot(`${engine}-02-suspended`);
  });

  it('keeps the filters in the address: a link to them and a reload show the same view', async () => {
    const filtered = '/admin/users?status=suspended&role=Viewer';
    await page.goto(test.url + filtered);
    await expect.poll(emailsShown).toEqual(['nora.one@example.test', 'nora.three@example.test', 'nora.two@example.test']);
    await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe('suspended');
    await expect(page.getByLabel('Role', { exact: true }).inputValue()).resolves.toBe('Viewer');

    await page.getByLabel('Search users').fill('nora.t');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/search=nora\.t/);
    await expect.poll(emailsShown).toEqual(['nora.three@example.test', 'nora.two@example.test']);
    await page.reload();
    await expect(page.getByLabel('Search users').inputValue()).resolves.toBe('nora.t');
    await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe('suspended');
    await expect.poll(emailsShown).toEqual(['nora.three@example.test', 'nora.two@example.test']);
    const address = new URL(page.url());
    expect(Object.fromEntries(address.searchParams)).toEqual({ status: 'suspended', role: 'Viewer', search: 'nora.t' });

    // A last sign-in filter goes to the API as the instant its day starts (the browser is in UTC).
    await page.getByLabel('Last sign-in on or after').fill('2020-01-01');
    await page.waitForURL(/lastSignInAfter=2020-01-01/);
    const since = await listed({ status: 'suspended', role: 'Viewer', search: 'nora.t', lastSignInAfter: '2020-01-01T00:00:00.000Z' });
    await expect.poll(emailsShown).toEqual(since.map((user) => user.email).sort());

    // Back: the previous filters, in the form and in the list.
    await page.goBack();
    await expect.poll(() => page.getByLabel('Last sign-in on or after').inputValue()).toBe('');
    await expect.poll(emailsShown).toEqual(['nora.three@example.test', 'nora.two@example.test']);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/users' && url.search === '');
    await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe('');
    await expect.poll(async () => (await emailsShown()).length).toBe((await listed({})).length);
  });

  it('re-activates, sets a role and deletes in bulk, each after its dialog', async () => {
    await page.goto(test.url + '/admin/users?status=suspended&search=nora');
    await expect.poll(emailsShown).toEqual(['nora.one@example.test', 'nora.three@example.test', 'nora.two@example.test']);
    await table().getByLabel('Select all shown users').check();
    await bulk().getByRole('button', { name: 'Re-activate' }).click();
    await page.getByRole('dialog', { name: 'Re-activate 3 users?' }).getByRole('button', { name: 'Re-activate 3 users' }).click();
    await page.getByRole('heading', { name: 'Re-activate: 3 done, 0 refused' }).waitFor();
    // Nobody is suspended any more: the reloaded list is empty.
    await page.getByText('No user matches these filters.').waitFor();

    await page.goto(test.url + '/admin/users?search=nora.t');
    await expect.poll(emailsShown).toEqual(['nora.three@example.test', 'nora.two@example.test']);
    await table().getByLabel('Select all shown users').check();
    await bulk().getByLabel('Role for the selected users').selectOption('Operator');
    await bulk().getByRole('button', { name: 'Set role' }).click();
    await page.getByRole('dialog', { name: 'Set the role of 2 users to Operator?' }).getByRole('button', { name: 'Set role of 2 users' }).click();
    await page.getByRole('heading', { name: 'Set role Operator: 2 done, 0 refused' }).waitFor();
    await expect.poll(async () => (await rows().locator('td:nth-child(4)').allTextContents()).join(',')).toBe('Operator,Operator');

    await table().getByLabel('Select nora.two@example.test').check();
    await bulk().getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 1 user permanently?' });
    // Cancelled: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await test.admin.get(`/api/v1/users/${notEnrolled[1]}`)).status).toBe(200);
    await bulk().getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete 1 user' }).click();
    await page.getByRole('heading', { name: 'Delete: 1 done, 0 refused' }).waitFor();
    await expect.poll(emailsShown).toEqual(['nora.three@example.test']);
    expect((await test.admin.get(`/api/v1/users/${notEnrolled[1]}`)).status).toBe(404);
    const statuses = Object.fromEntries((await listed({ search: 'nora' })).map((user) => [user.email, [user.status, user.role]]));
    expect(statuses).toEqual({ 'nora.one@example.test': ['active', 'Viewer'], 'nora.three@example.test': ['active', 'Operator'] });
  });

  it('counts the rows shown and loads more by cursor', async () => {
    const created = await Promise.all(
      Array.from({ length: 26 }, (_, n) => test.admin.post('/api/v1/users', { email: `crowd-${n}@example.test`, displayName: `Crowd ${n}`, role: 'Viewer', password: 'initial password 123' })),
    );
    expect(created.map((answer) => answer.status)).toEqual(created.map(() => 201));
    await page.goto(test.url + '/admin/users?search=crowd-');
    const count = page.getByRole('status', { name: 'Users shown' });
    await expect.poll(() => count.textContent()).toBe('25 users shown, more to load');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => count.textContent()).toBe('26 users shown');
    await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
    expect(new Set(await emailsShown()).size).toBe(26);
  });

  it("shows the server's reason for each user it refuses in a bulk action, and does the rest", async () => {
    // A user manager of this tenant, and a member who is Admin of another tenant: more privileged than the manager there.
    const viewer = (await test.admin.get('/api/v1/roles')).body.items.find((role: { name: string }) => role.name === 'Viewer');
    const manager = await test.admin.post('/api/v1/roles', { name: 'User manager', permissions: [...new Set([...viewer.permissions, 'ViewUsers', 'ManageUsers', 'AssignRoles'])] });
    expect(manager.status).toBe(201);
    const mona = await createSignedInUser(test, { role: 'User manager', displayName: 'Mona Manager', email: 'mona@example.test' });
    expect((await test.admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    const tara = await createSignedInUser(test, { role: 'Viewer', displayName: 'Tara Elsewhere', email: 'tara@example.test' });
    expect((await test.admin.inTenant('acme').put(`/api/v1/users/${tara.id}/role`, { role: 'Admin' })).status).toBe(200);
    const vic = await createSignedInUser(test, { role: 'Viewer', displayName: 'Vic Viewer', email: 'vic@example.test' });
    // What the API answers the manager for Tara (a refusal changes nothing), the page must show.
    const refusal = await mona.client.post(`/api/v1/users/${tara.id}/suspend`);
    expect(refusal.status).toBe(403);
    expect(refusal.body.error.code).toBe('TARGET_MORE_PRIVILEGED');

    await signIn(mona.email, USER_PASSWORD);
    // Active Viewers who ever signed in (the crowd of the test before never did).
    const view = { status: 'active', role: 'Viewer' };
    const emails = async () => (await listed({ ...view, lastSignInAfter: '2020-01-01T00:00:00Z' })).map((user) => user.email).sort();
    await page.goto(test.url + '/admin/users?' + new URLSearchParams({ ...view, lastSignInAfter: '2020-01-01' }));
    const before = await emails();
    expect(before).toEqual(expect.arrayContaining(['tara@example.test', 'vic@example.test']));
    await expect.poll(emailsShown).toEqual(before);
    await table().getByLabel('Select tara@example.test').check();
    await table().getByLabel('Select vic@example.test').check();
    await bulk().getByRole('button', { name: 'Suspend', exact: true }).click();
    await page.getByRole('dialog', { name: 'Suspend 2 users?' }).getByRole('button', { name: 'Suspend 2 users' }).click();

    await page.getByRole('heading', { name: 'Suspend: 1 done, 1 refused' }).waitFor();
    const taraResult = results().getByRole('listitem').filter({ hasText: 'tara@example.test' });
    await expect(taraResult.textContent()).resolves.toMatch(/^refused tara@example\.test: This user holds permissions you don't hold in tenant "acme" \(.+\); .+ TARGET_MORE_PRIVILEGED$/);
    await expect(results().getByRole('listitem').filter({ hasText: 'vic@example.test' }).textContent()).resolves.toBe('done vic@example.test');
    await browser.screenshot(`${engine}-03-refused-row`);
    expect((await test.admin.get(`/api/v1/users/${tara.id}`)).body.status).toBe('active');
    expect((await test.admin.get(`/api/v1/users/${vic.id}`)).body.status).toBe('suspended');
    // The list reloaded: Vic left the "active" view, Tara stays.
    await expect.poll(emailsShown).toEqual(before.filter((email) => email !== 'vic@example.test'));
    // The results stay until dismissed.
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(results().count()).resolves.toBe(0);
  });

  it('stayed on 127.0.0.1 without console errors (the refusals above are 4xx answers, expected)', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});

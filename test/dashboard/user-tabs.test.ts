import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routes, userTabs, windowTitle } from '../../web/src/routes.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { enrol } from '../support/two-factor.ts';
import { launchBrowser, type Browser, signInThroughPage } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * A user's page in tabs (issue 12): Details, Roles per tenant, Sessions & tokens, Activity and
 * Security, each at its own address (web/src/routes.ts) with its own window title, opened by
 * that address or by clicking its tab; the open tab is the one link with aria-current="page".
 */
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('user-tabs');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
});

/** The route table's title of a tab's address pattern. */
const titleOf = (suffix: string) => windowTitle(routes.find((route) => route.pattern === `/admin/users/:id${suffix}`)!.title);

/** What each tab shows once its data is on screen. */
const shows: Record<(typeof userTabs)[number]['tab'], string> = {
  details: 'Profile',
  roles: 'Role per tenant',
  sessions: 'Sessions and API tokens',
  activity: 'Account activity',
  security: 'Two-factor authentication',
};

describe.each(engines)("a user's page in tabs on %s", (engine) => {
  let test: TestServer;
  const tabs = () => page.getByRole('navigation', { name: 'User sections' });
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });

  beforeAll(async () => {
    test = await startTestServer(engine);
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('opens each tab by its address, titled, with that tab current', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Tab Addressed' });
    expect(userTabs.map((entry) => entry.label)).toEqual(['Details', 'Roles per tenant', 'Sessions & tokens', 'Activity', 'Security']);
    for (const entry of userTabs) {
      await page.goto(`${test.url}/admin/users/${person.id}${entry.suffix}`);
      await heading('Tab Addressed').waitFor();
      await heading(shows[entry.tab]).waitFor();
      expect(await page.title(), entry.tab).toBe(titleOf(entry.suffix));
      const current = tabs().locator('[aria-current="page"]');
      await expect(current.count()).resolves.toBe(1);
      await expect(current.textContent()).resolves.toBe(entry.label);
      // Only the open tab's sections are on the page.
      for (const other of userTabs.filter((candidate) => candidate.tab !== entry.tab)) {
        await expect(heading(shows[other.tab]).count(), `${other.tab} on ${entry.tab}`).resolves.toBe(0);
      }
    }
    // The account actions stay above every tab.
    await page.getByRole('region', { name: 'Account actions' }).getByRole('button', { name: 'Reset password' }).waitFor();
  });

  it('opens each tab by clicking it: the address and the title follow, and Back returns to the previous tab', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Tab Clicked' });
    await page.goto(`${test.url}/admin/users/${person.id}`);
    await heading('Tab Clicked').waitFor();
    expect(await page.title()).toBe(titleOf(''));
    for (const entry of [...userTabs.slice(1), userTabs[0]]) {
      await tabs().getByRole('link', { name: entry.label, exact: true }).click();
      await heading(shows[entry.tab]).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/admin/users/${person.id}${entry.suffix}`);
      expect(await page.title(), entry.tab).toBe(titleOf(entry.suffix));
      await expect(tabs().locator('[aria-current="page"]').textContent()).resolves.toBe(entry.label);
    }
    await page.goBack();
    await heading(shows.security).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/users/${person.id}/security`);
  });

  it('shows on the Security tab whether they enrolled 2FA and whether a policy requires it', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Sec Checked' });
    await page.goto(`${test.url}/admin/users/${person.id}/security`);
    const twoFactor = page.getByRole('region', { name: 'Two-factor authentication' });
    await twoFactor.getByText('not enrolled', { exact: true }).waitFor();
    await twoFactor.getByText(/Not required in their home tenant default/).waitFor();
    await page.getByRole('region', { name: 'Sign-in lock' }).getByText('open', { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Single sign-on' }).getByText('Not linked to an identity provider.').waitFor();

  });

  it("names the home tenant's Require 2FA on the Security tab, and an enrolled authenticator", async () => {
    // Homed in a tenant of its own that requires 2FA, and a member here: the admin's own requests stay outside that policy.
    expect((await test.admin.post('/api/v1/tenants', { slug: 'strict', name: 'Strict' })).status).toBe(201);
    const person = await createSignedInUser(test, { role: 'Viewer', tenant: 'strict', displayName: 'Sec Strict' });
    expect((await test.admin.put(`/api/v1/tenants/default/members/${person.id}`, { role: 'Viewer' })).status).toBe(200);
    await enrol(test, person.client, USER_PASSWORD);
    expect((await test.admin.put('/api/v1/tenants/strict/settings/authentication', { requireTwoFactor: true })).status).toBe(200);
    await page.goto(`${test.url}/admin/users/${person.id}/security`);
    const twoFactor = page.getByRole('region', { name: 'Two-factor authentication' });
    await twoFactor.getByText('enrolled', { exact: true }).waitFor();
    await twoFactor.getByText(/Required in their home tenant strict \(set by the tenant’s setting\)/).waitFor();
  });
});

import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { MailSink } from '../support/mail-sink.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Mail that can't be delivered, in a real browser: SMTP points at a closed port, so the
 * dashboard must say "queued", never "sent", show the delivery failing on the user page, and
 * give the admin a link to hand over. Its own server, so the shared story of dashboard.test.ts
 * (which runs without SMTP) is not disturbed. One engine: test/mail-delivery.test.ts covers the
 * server on SQLite and PostgreSQL.
 */
describe('undelivered mail in the dashboard', () => {
  const sink = new MailSink();
  let test: TestServer;
  let browser: Browser;
  let page: Page;
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });

  beforeAll(async () => {
    ensureDashboardBuilt();
    await sink.useClosedPort();
    test = await startTestServer('sqlite', { environment: sink.environment() });
    browser = await launchBrowser('mail-delivery');
    page = browser.page;
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
    if (browser) console.log(`dashboard screenshots (mail-delivery): ${browser.screenshotDir}`);
  });

  it('says the invitation is queued, shows it failing on the user page, and hands over a link that works', async () => {
    await page.goto(test.url + '/');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading('Users').waitFor();

    const email = uniqueEmail('unreachable');
    await page.getByRole('link', { name: 'New user' }).click();
    await heading('New user').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Display name').fill('Una Reachable');
    await page.getByRole('button', { name: 'Create user' }).click();
    const delivery = page.getByRole('status', { name: 'Invitation delivery' });
    await delivery.waitFor();
    expect(await delivery.textContent()).toContain('queued');
    expect(await delivery.textContent()).toContain('not delivered yet');
    await expect(page.getByRole('region', { name: 'One-time credentials' }).count()).resolves.toBe(0);
    await browser.screenshot('mail-01-invitation-queued');

    // Wait for the outbox's first failed attempt, then look at the user page.
    const userId = (await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items[0].id;
    for (let pass = 0; pass < 200 && !((await test.admin.get(`/api/v1/users/${userId}/activity`)).body.lastMail.attempts > 0); pass++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await page.getByRole('link', { name: 'Open user' }).click();
    await heading('Una Reachable').waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Activity' }).click();
    const lastMail = page.getByRole('region', { name: 'Last mail' });
    await lastMail.getByText('not sent yet').waitFor();
    await expect(lastMail.locator('.badge-queued').textContent()).resolves.toBe('queued');
    expect(await lastMail.textContent()).toContain('Last error:');
    await browser.screenshot('mail-02-user-page-queued');

    await lastMail.getByRole('button', { name: 'Get a link to hand over' }).click();
    const handed = lastMail.getByRole('region', { name: 'Link to hand over' });
    const link = (await handed.getByLabel('One-time link', { exact: true }).textContent())!;
    expect(link).toMatch(/\/set-password#token=/);
    expect(await handed.textContent()).toContain('1 queued mail(s) withdrawn');
    await lastMail.locator('.badge-cancelled').waitFor();
    await browser.screenshot('mail-03-link-handed-over');

    const token = new URL(link).hash.replace('#token=', '');
    expect((await test.anonymous.post('/api/v1/auth/redeem-link', { token, newPassword: 'handed over in person' })).status).toBe(200);
  });
});

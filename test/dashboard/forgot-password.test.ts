import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSignedInUser, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { linkTokenIn, MailSink } from '../support/mail-sink.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/** axe-core's source, evaluated in the page (the CSP allows no inline script, and nothing is fetched). */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * "Forgot password?" in a real browser, through the real SMTP sink: the user asks for a link on
 * the sign-in page, opens the one the mail carries, chooses a password and signs in with it;
 * on a server without SMTP the page says to ask an administrator. One engine:
 * test/forgot-password.test.ts covers the server on SQLite and PostgreSQL.
 */
describe('forgot password in the dashboard', () => {
  const sink = new MailSink();
  let test: TestServer;
  let withoutMail: TestServer;
  let browser: Browser;
  let page: Page;
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });

  /** axe-core's serious and critical violations on the page as it stands. */
  async function accessibilityViolations(): Promise<string[]> {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null }[] }> } }).axe;
      return (await axe.run(document, {})).violations;
    });
    return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => violation.id);
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    await sink.start();
    test = await startTestServer('sqlite', { environment: sink.environment() });
    withoutMail = await startTestServer('sqlite');
    browser = await launchBrowser('forgot-password');
    page = browser.page;
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
    await withoutMail?.close();
    await sink.stop();
    if (browser) console.log(`dashboard screenshots (forgot-password): ${browser.screenshotDir}`);
  });

  it('mails a link from the sign-in page that sets a new password, which then signs in', async () => {
    const user = await createSignedInUser(test, { role: 'Viewer', displayName: 'Forgetful Fay' });
    await page.goto(test.url + '/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await heading('Reset your password').waitFor();
    expect(new URL(page.url()).search).toBe('?forgot-password');
    expect(await accessibilityViolations()).toEqual([]);
    await browser.screenshot('forgot-01-form');

    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const notice = page.getByRole('status');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('If this email belongs to an account');
    await browser.screenshot('forgot-02-sent');

    // The account notice of its creation came first; the reset is the second mail.
    const mail = await sink.waitFor(user.email, 2);
    expect(mail.raw).toContain('Subject: Reset your Sophon password');
    await page.goto(`${test.url}/set-password#token=${linkTokenIn(mail)}`);
    await heading('Set your password').waitFor();
    await page.getByLabel('New password', { exact: true }).fill('remembered at last, 2026');
    await page.getByLabel('Confirm new password').fill('remembered at last, 2026');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').getByText(user.email).waitFor();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await heading('Sign in').waitFor();
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill('remembered at last, 2026');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await browser.screenshot('forgot-03-signed-in');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
  });

  it('answers an unknown email exactly as a known one, and says to ask an administrator when the server has no SMTP', async () => {
    await page.goto(test.url + '/login?forgot-password');
    await page.getByLabel('Email').fill(uniqueEmail('nobody'));
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('status').getByText('If this email belongs to an account').waitFor();

    await page.goto(withoutMail.url + '/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByLabel('Email').fill(uniqueEmail('stranded'));
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const unavailable = page.getByRole('alert', { name: 'Password reset unavailable' });
    await unavailable.waitFor();
    expect(await unavailable.textContent()).toContain('Ask an administrator to reset your password');
    // The form is gone: trying again can't help.
    await expect(page.getByRole('button', { name: 'Send reset link' }).count()).resolves.toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
    await browser.screenshot('forgot-04-no-smtp');

    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await heading('Sign in').waitFor();
    expect(browser.problems).toEqual([]);
  });
});

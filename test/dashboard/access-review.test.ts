import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { launchBrowser, signInThroughPage, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Admin → Access review in Chromium against the real server (issue 9): a report of acme with a
 * one-minute window, a decision to suspend a stale user, the review recorded in one step; the
 * user is suspended and signed out, the review is listed with its decisions, and both CSVs
 * (this review, built in the browser; every review, from the server) download.
 */
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('access-review');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
});

const MINUTE = 60_000;

describe.each(engines)('Admin → Access review on %s', (engine) => {
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

  it('runs a report, suspends a stale user from it in one step, lists the review and downloads its CSV', async () => {
    const idle = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Idle Ida' });
    const active = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Active Arno' });
    test.clock.advance(2 * MINUTE);
    // Signed in again since: not stale.
    expect((await test.login(active.email, USER_PASSWORD)).response.status).toBe(200);
    // Operator for two hours over Viewer: a time-bound assignment ending soon.
    expect((await test.admin.inTenant('acme').put(`/api/v1/users/${active.id}/role`, { role: 'Operator', duration: '2h' })).status).toBe(200);
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);

    await navigation().getByRole('link', { name: 'Access review', exact: true }).click();
    await heading('Access review').waitFor();
    expect(await page.title()).toBe('Access review — Sophon Identity');
    const form = page.getByRole('form', { name: 'Run an access review' });
    await form.getByLabel('Tenant').selectOption('acme');
    await form.getByLabel('Stale after').fill('1');
    await form.getByLabel('Unit').selectOption({ label: 'minutes' });
    await form.getByRole('button', { name: 'Run report' }).click();

    const stale = page.getByRole('region', { name: /^Users not signed in for 1 minute/ });
    await stale.getByRole('link', { name: 'Idle Ida' }).waitFor();
    await expect(stale.getByRole('link', { name: 'Active Arno' }).count()).resolves.toBe(0);
    await page.getByRole('region', { name: /^Time-bound assignments ending soon/ }).getByRole('link', { name: 'Active Arno' }).waitFor();
    // The findings are grouped: the Admin without 2FA has its own group.
    await page.getByRole('region', { name: /^Admins without two-factor authentication/ }).getByText(ADMIN_EMAIL).first().waitFor();
    await browser.screenshot(`${engine}-01-report`);

    await stale.getByLabel(`Decision on ${idle.email}`).selectOption({ label: 'Suspend user' });
    await page.getByLabel('Note').fill('Q4 review of acme');
    await page.getByRole('button', { name: 'Record review' }).click();
    const dialog = page.getByRole('dialog', { name: 'Record the access review of acme?' });
    await expect(dialog.getByRole('list', { name: 'Decisions to carry out' }).textContent()).resolves.toBe(`Suspend user: ${idle.email}`);
    await browser.screenshot(`${engine}-02-confirm`);
    await dialog.getByRole('button', { name: 'Record review' }).click();

    await heading('Access review of acme').waitFor();
    expect(await page.title()).toBe('Access review record — Sophon Identity');
    const decisions = page.getByRole('table', { name: 'Decisions' });
    const idleRow = decisions.getByRole('row').filter({ hasText: idle.email }).filter({ hasText: 'Suspend user' });
    await expect(idleRow.textContent()).resolves.toContain('applied');
    await browser.screenshot(`${engine}-03-record`);

    // Suspended through the ordinary command, which signed them out.
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${idle.id}`)).body.status).toBe('suspended');
    expect((await idle.client.get('/api/v1/me')).status).toBe(401);
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${active.id}`)).body.status).toBe('active');

    // This review as CSV, in the server export's columns.
    const [single] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(single.suggestedFilename()).toMatch(/^access-review-acme-\d{4}-\d{2}-\d{2}\.csv$/);
    const singleRows = parse((await readFile((await single.path())!, 'utf8')).replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(singleRows.find((row) => row.subject_id === idle.id && row.finding === 'user_not_signed_in')).toMatchObject({ tenant: 'acme', decision: 'suspend', outcome: 'applied', reviewer: ADMIN_EMAIL });
    expect(singleRows.every((row) => row.decision === 'keep' || row.subject_id === idle.id)).toBe(true);

    // Listed among the tenant's past reviews, with its counts.
    await page.getByRole('main').getByRole('link', { name: 'Access review', exact: true }).click();
    const past = page.getByRole('table', { name: 'Past reviews of acme' });
    const listed = past.getByRole('row').filter({ hasText: 'Q4 review of acme' });
    await expect(listed.getByRole('cell').nth(1).textContent()).resolves.toBe(ADMIN_EMAIL);
    await expect(listed.getByRole('cell').nth(4).textContent()).resolves.toBe('1');
    // The report run again no longer finds her stale: she is suspended.
    await page.getByLabel('Stale after').fill('1');
    await page.getByLabel('Unit').selectOption({ label: 'minutes' });
    await page.getByRole('button', { name: 'Run report' }).click();
    await page.getByRole('heading', { name: /^Report for acme/ }).waitFor();
    await expect(page.getByRole('region', { name: /^Users not signed in for/ }).getByRole('link', { name: 'Idle Ida' }).count()).resolves.toBe(0);

    // Every review of the tenant from the server's export (audited), for auditors.
    const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export all reviews (CSV)' }).click()]);
    expect(all.suggestedFilename()).toBe('access-reviews-acme.csv');
    const allRows = parse(await readFile((await all.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(allRows.find((row) => row.subject_id === idle.id)).toMatchObject({ decision: 'suspend', outcome: 'applied' });
    await browser.screenshot(`${engine}-04-past-reviews`);

    // Opening the listed review shows the same record.
    await listed.getByRole('link').click();
    await heading('Access review of acme').waitFor();
    await page.getByRole('table', { name: 'Decisions' }).getByRole('row').filter({ hasText: idle.email }).first().waitFor();

    expect(browser.problems).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });

  it('records a refusal with its reason when the reviewer may not carry a decision out', async () => {
    const auditor = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Audrey Auditor' });
    const someone = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Sam Someone' });
    test.clock.advance(2 * MINUTE);
    await signInThroughPage(browser, test.url, auditor.email, USER_PASSWORD);
    await page.goto(`${test.url}/admin/access-review?stale=1m`);
    const stale = page.getByRole('region', { name: /^Users not signed in for 1 minute/ });
    await stale.getByLabel(`Decision on ${someone.email}`).selectOption({ label: 'Suspend user' });
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Record review' }).click();
    const row = page.getByRole('table', { name: 'Decisions' }).getByRole('row').filter({ hasText: someone.email }).filter({ hasText: 'Suspend user' });
    await expect(row.textContent()).resolves.toMatch(/refused.*PERMISSION_MISSING/);
    expect((await test.admin.inTenant('acme').get(`/api/v1/users/${someone.id}`)).body.status).toBe('active');
    // A Viewer may not export (ExportAuditLogs): no export button, the record's own CSV still offered.
    await expect(page.getByRole('button', { name: 'Export all reviews (CSV)' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    expect(browser.problems).toEqual([]);
  });

  it('hides the page from a caller without ViewAuditLogs, as the API refuses them', async () => {
    const operator = await createSignedInUser(test, { role: 'Operator', tenant: 'acme' });
    await signInThroughPage(browser, test.url, operator.email, USER_PASSWORD);
    await expect(navigation().getByRole('link', { name: 'Access review', exact: true }).count()).resolves.toBe(0);
    await page.goto(`${test.url}/admin/access-review`);
    await heading('Not available').waitFor();
    expect((await operator.client.get('/api/v1/access-review')).status).toBe(403);
  });
});

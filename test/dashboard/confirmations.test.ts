import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { TOTP } from 'otpauth';
import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, login } from '../support/api-client.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createSignedInUser, engines, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser, signInThroughPage } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Destructive and security-relevant actions ask first (issue 12), in Chromium against the real
 * server on each engine: revoking a session (a user's, one's own), an admin revoking a token,
 * an admin resetting a password, a role change that takes permissions from its holders, and
 * turning on Require 2FA installation-wide. Cancel leaves everything as it was; confirming does
 * it. And after an import, the one-time passwords download as a CSV built in the browser.
 */
// One browser for the file: each engine's server has an origin (port) of its own, and its cookies are cleared before.
let browser: Browser;
let page: Page;
beforeAll(async () => {
  ensureDashboardBuilt();
  browser = await launchBrowser('confirmations');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
  if (browser) console.log(`confirmations screenshots: ${browser.screenshotDir}`);
});

describe.each(engines)('confirmations on %s', (engine) => {
  let test: TestServer;

  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const dialog = (name: string) => page.getByRole('dialog', { name });
  const meStatus = async (client: ApiClient) => (await client.get('/api/v1/me')).status;

  beforeAll(async () => {
    test = await startTestServer(engine);
    // The harness's own session of the admin: the browser's is then their only one.
    await test.adminSession.post('/api/v1/auth/logout');
    await signInThroughPage(browser, test.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`${engine}-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await test?.close();
  });

  /** A user's page at one of its tabs (routes.ts userTabs): '' is Details. */
  async function openUserPage(displayName: string, id: string, tab: '' | '/roles' | '/sessions' | '/activity' | '/security') {
    await page.goto(`${test.url}/admin/users/${id}${tab}`);
    await heading(displayName).waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).locator('[aria-current="page"]').waitFor();
  }

  it("revoking a user's session asks first: Cancel keeps it, confirming ends that session only", async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Sam Session' });
    const token = new ApiClient(test.url, { token: (await person.client.post('/api/v1/me/tokens', { name: 'kept', expiresIn: '1d' })).body.secret });
    await openUserPage('Sam Session', person.id, '/sessions');
    const sessions = page.getByRole('table', { name: 'Active sessions' });
    await sessions.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Revoke this session?').getByText('Their other sessions and their API tokens keep working.').waitFor();
    await browser.screenshot(`${engine}-01-revoke-session`);
    await dialog('Revoke this session?').getByRole('button', { name: 'Cancel' }).click();
    await dialog('Revoke this session?').waitFor({ state: 'hidden' });
    expect(await meStatus(person.client)).toBe(200);

    await sessions.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Revoke this session?').getByRole('button', { name: 'Revoke session' }).click();
    await page.getByText('No active sessions.').waitFor();
    expect(await meStatus(person.client)).toBe(401);
    expect(await meStatus(token)).toBe(200);
  });

  it("revoking a user's API token asks first: Cancel keeps it working, confirming stops it", async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Tia Token' });
    const token = new ApiClient(test.url, { token: (await person.client.post('/api/v1/me/tokens', { name: 'deploy', expiresIn: '1d' })).body.secret });
    await openUserPage('Tia Token', person.id, '/sessions');
    const tokens = page.getByRole('table', { name: 'API tokens' });
    await tokens.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Revoke the token deploy?').getByText('loses access at once').waitFor();
    await dialog('Revoke the token deploy?').getByRole('button', { name: 'Cancel' }).click();
    expect(await meStatus(token)).toBe(200);

    await tokens.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Revoke the token deploy?').getByRole('button', { name: 'Revoke token' }).click();
    await tokens.getByText('revoked', { exact: true }).waitFor();
    expect(await meStatus(token)).toBe(401);
    expect(await meStatus(person.client)).toBe(200);
  });

  it('resetting a password asks first, saying what happens: Cancel makes no link, confirming shows one and keeps the current password working', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Rita Reset' });
    const resets = async () =>
      ((await test.admin.get(`/api/v1/audit?user=${person.id}&limit=200`)).body.items as { action: string }[]).filter((event) => event.action === 'password_reset.requested').length;
    await openUserPage('Rita Reset', person.id, '');
    const title = `Reset the password of ${person.email}?`;
    await page.getByRole('button', { name: 'Reset password' }).click();
    await dialog(title).getByText('using it sets a new password and ends all their sessions').waitFor();
    await dialog(title).getByText('Their API tokens keep working, unless you revoke them too').waitFor();
    await browser.screenshot(`${engine}-02-reset-password`);
    await dialog(title).getByRole('button', { name: 'Cancel' }).click();
    await dialog(title).waitFor({ state: 'hidden' });
    expect(await resets()).toBe(0);
    await expect(page.getByRole('region', { name: 'Password-reset link' }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Reset password' }).click();
    await dialog(title).getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('region', { name: 'Password-reset link' }).getByLabel('Reset link', { exact: true }).waitFor();
    expect(await resets()).toBe(1);
    expect(await meStatus(person.client)).toBe(200);
  });

  it('removing a user from a tenant asks first: Cancel keeps the role there, confirming removes it and signs nobody out', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Max Member' });
    const slug = `branch-${engine}`;
    expect((await test.admin.post('/api/v1/tenants', { slug, name: 'Branch' })).status).toBe(201);
    expect((await test.admin.put(`/api/v1/tenants/${slug}/members/${person.id}`, { role: 'Viewer' })).status).toBe(200);
    const member = async () => ((await test.admin.get(`/api/v1/tenants/${slug}/members`)).body.items as { userId: string }[]).some((entry) => entry.userId === person.id);
    await openUserPage('Max Member', person.id, '/roles');
    const confirm = dialog(`Remove from tenant ${slug}?`);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.getByText('Nobody is signed out').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await member()).toBe(true);

    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.getByRole('button', { name: 'Remove from tenant' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Remove', exact: true }).count()).toBe(0);
    expect(await member()).toBe(false);
    expect(await meStatus(person.client)).toBe(200);
  });

  it('revoking another of your own sessions (Settings → Security) asks first: Cancel keeps it, confirming ends it and not this one', async () => {
    const other = (await login(test.url, ADMIN_EMAIL, ADMIN_PASSWORD)).client;
    await page.goto(test.url + '/settings/security');
    const sessions = page.getByRole('table', { name: 'Your active sessions' });
    // The browser's session has no Revoke button: the one there is the other's.
    await sessions.getByRole('button', { name: 'Revoke' }).waitFor();
    await expect(sessions.getByRole('button', { name: 'Revoke' }).count()).resolves.toBe(1);
    await sessions.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Sign out this session?').getByText('This session and your API tokens keep working.').waitFor();
    await dialog('Sign out this session?').getByRole('button', { name: 'Cancel' }).click();
    expect(await meStatus(other)).toBe(200);

    await sessions.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Sign out this session?').getByRole('button', { name: 'Revoke session' }).click();
    await expect.poll(() => sessions.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await meStatus(other)).toBe(401);
    await page.reload();
    await heading('Security settings').waitFor();
  });

  it('downloads the one-time passwords of an import as a CSV made in the browser (email, one-time password, expires at)', async () => {
    const emails = [uniqueEmail('csv-a'), uniqueEmail('csv-b')];
    await page.goto(test.url + '/admin/users/import');
    await heading('Import users').waitFor();
    const csv = ['email,displayName,role,tenant,password', `${emails[0]},Ann Import,Viewer,,`, `${emails[1]},Ben Import,Viewer,,`].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading('Users imported').waitFor();
    const oneTime = page.getByRole('region', { name: 'One-time passwords' });
    await oneTime.getByText('only this once').waitFor();
    const shown = await Promise.all(emails.map(async (email) => (await page.getByLabel(`One-time password for ${email}`, { exact: true }).textContent())!));

    const requests: Request[] = [];
    const onRequest = (request: Request) => requests.push(request);
    page.on('request', onRequest);
    const [download] = await Promise.all([page.waitForEvent('download'), oneTime.getByRole('button', { name: 'Download one-time passwords (CSV)' }).click()]);
    const file = await readFile((await download.path())!, 'utf8');
    page.off('request', onRequest);
    expect(download.suggestedFilename()).toMatch(/^one-time-passwords-\d{4}-\d{2}-\d{2}\.csv$/);
    // Built from the page: nothing went to the server, or anywhere.
    expect(requests.filter((request) => !request.url().startsWith('blob:')).map((request) => request.url())).toEqual([]);

    const rows = parse(file, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.email, row['one-time password']])).toEqual(emails.map((email, index) => [email, shown[index]]));
    for (const row of rows) expect(Date.parse(row['expires at']!)).toBeGreaterThan(test.clock.now().getTime());
    // They are the real passwords.
    expect((await login(test.url, emails[0]!, rows[0]!['one-time password']!)).response.status).toBe(200);
    await browser.screenshot(`${engine}-03-import-download`);
  });

  it("shows built-in roles' permissions as check marks and links the holders to the users list", async () => {
    await page.goto(test.url + '/admin/roles');
    await heading('Roles').waitFor();
    const viewers = (await test.admin.get('/api/v1/roles')).body.items.find((role: { name: string }) => role.name === 'Viewer').usedBy as number;
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Viewer', exact: true }) });
    const holders = row.getByRole('link', { name: String(viewers), exact: true });
    await expect(holders.getAttribute('href')).resolves.toBe('/admin/users?role=Viewer');
    await page.getByRole('link', { name: 'Viewer', exact: true }).click();
    await heading('Viewer').waitFor();
    await expect(page.getByRole('checkbox').count()).resolves.toBe(0);
    await page.getByRole('list', { name: 'Granted in Users & identity' }).getByText('ViewUsers', { exact: true }).waitFor();
    await page.getByText(/^Not granted: .*ManageUsers/).first().waitFor();
    await browser.screenshot(`${engine}-04-built-in-role`);
  });

  it('warns before a save that takes permissions from current holders: Cancel keeps the role, confirming saves it', async () => {
    const created = await test.admin.post('/api/v1/roles', { name: 'people-desk', description: 'Helps with accounts', permissions: ['ViewUsers', 'ManageUsers', 'ViewAuditLogs'] });
    expect(created.status).toBe(201);
    for (let index = 0; index < 3; index++) await createSignedInUser(test, { role: 'people-desk' });
    const permissions = async () => ((await test.admin.get(`/api/v1/roles/${created.body.id}`)).body.permissions as string[]).sort();

    await page.goto(`${test.url}/admin/roles/${created.body.id}`);
    await heading('Edit role people-desk').waitFor();
    await expect(page.getByRole('link', { name: '3 users hold this role in default' }).getAttribute('href')).resolves.toBe('/admin/users?role=people-desk');
    // Adding only: no warning.
    await page.getByRole('checkbox', { name: /^ManageRoles\b/ }).check();
    await page.getByRole('checkbox', { name: /^ManageUsers\b/ }).uncheck();
    await page.getByRole('checkbox', { name: /^ViewAuditLogs\b/ }).uncheck();
    await page.getByRole('button', { name: 'Save role' }).click();
    const warning = dialog('Take permissions from the holders of people-desk?');
    await warning.getByText('3 users hold this role in default; they lose ManageUsers, ViewAuditLogs.').waitFor();
    await browser.screenshot(`${engine}-05-role-warning`);
    await warning.getByRole('button', { name: 'Cancel' }).click();
    // Enter in the name field goes through the warning too.
    await page.getByLabel('Name').press('Enter');
    await warning.getByRole('button', { name: 'Cancel' }).click();
    expect(await permissions()).toEqual(['ManageUsers', 'ViewAuditLogs', 'ViewUsers']);

    await page.getByRole('button', { name: 'Save role' }).click();
    await warning.getByRole('button', { name: 'Save and remove permissions' }).click();
    await heading('Roles').waitFor();
    expect(await permissions()).toEqual(['ManageRoles', 'ViewUsers']);

    // A change that only adds saves at once.
    await page.goto(`${test.url}/admin/roles/${created.body.id}`);
    await heading('Edit role people-desk').waitFor();
    await page.getByRole('checkbox', { name: /^ViewAuditLogs\b/ }).check();
    await page.getByRole('button', { name: 'Save role' }).click();
    await heading('Roles').waitFor();
    expect(await permissions()).toEqual(['ManageRoles', 'ViewAuditLogs', 'ViewUsers']);
  });

  it('turning off your own 2FA asks first: Cancel keeps it on, confirming turns it off', async () => {
    const enabled = async () => (await test.admin.get('/api/v1/me/two-factor')).body.enabled as boolean;
    await page.goto(test.url + '/settings/security');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const key = (await page.getByLabel('Setup key').textContent())!;
    await page.getByLabel('Code from the app').fill(new TOTP({ secret: key, digits: 6, period: 30 }).generate({ timestamp: test.clock.now().getTime() }));
    await page.getByRole('form', { name: 'Confirm two-factor authentication' }).getByLabel('Current password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await page.getByRole('button', { name: 'I saved my recovery codes' }).click();
    expect(await enabled()).toBe(true);

    const manage = page.getByRole('form', { name: 'Manage two-factor authentication' });
    await manage.getByLabel('Current password').fill(ADMIN_PASSWORD);
    const confirm = dialog('Turn off two-factor authentication?');
    await manage.getByRole('button', { name: 'Turn off', exact: true }).click();
    await confirm.getByText('Your other sessions are signed out; this one and your API tokens keep working.').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await enabled()).toBe(true);

    await manage.getByRole('button', { name: 'Turn off', exact: true }).click();
    await confirm.getByRole('button', { name: 'Turn off 2FA' }).click();
    await expect.poll(enabled).toBe(false);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
  });

  // Last: once it is on, the admin (without 2FA) must enrol before anything else.
  it('turning on Require 2FA for every user asks first: Cancel leaves it off, confirming holds every user without 2FA', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer' });
    const required = async () => (await test.admin.get('/api/v1/settings/authentication')).body.overrides.requireTwoFactor ?? false;
    await page.goto(test.url + '/admin/settings/authentication');
    const installation = page.getByRole('form', { name: 'Installation-wide authentication' });
    await installation.getByLabel('Require 2FA for every user').check();
    await installation.getByRole('button', { name: 'Save installation setting' }).click();
    const confirm = dialog('Require 2FA for every user?');
    await confirm.getByText('Every user without two-factor authentication must enrol at their next request').waitFor();
    await confirm.getByText('Nobody is signed out and no token is revoked.').waitFor();
    await expect(confirm.getByRole('link', { name: "See this tenant's active users without 2FA" }).getAttribute('href')).resolves.toBe('/admin/users?status=active&twoFactor=not_enrolled');
    await browser.screenshot(`${engine}-06-require-2fa`);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await required()).toBe(false);
    expect(await meStatus(person.client)).toBe(200);

    await installation.getByRole('button', { name: 'Save installation setting' }).click();
    await confirm.getByRole('button', { name: 'Require 2FA' }).click();
    await expect.poll(async () => (await person.client.get('/api/v1/me')).body.error?.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
  });
});

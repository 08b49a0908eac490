import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, login, RawBody } from '../support/api-client.ts';
import { ADMIN_EMAIL, createSignedInUser, engines, startTestServer, uniqueEmail, USER_PASSWORD, type TestServer } from '../support/harness.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * The dashboard in a real browser against the real server: the seed's stories, one after
 * the other, as the bootstrap admin would live them on a fresh installation.
 */
describe.each(engines)('the dashboard on %s', (engine) => {
  const NEW_ADMIN_PASSWORD = 'a brand new admin password';
  let test: TestServer;
  let browser: Browser;
  let page: Page;
  /** The admin through the API, once the browser has changed the one-time password. */
  let admin: ApiClient;

  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const navigateTo = (name: 'Users' | 'Roles' | 'Audit' | 'Settings' | 'Security') => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

  /** The cells of one row of the "What applies in <tenant>" table of Admin → Settings → Authentication. */
  const applies = (tenant: string, setting: string) =>
    page
      .getByRole('table', { name: `What applies in ${tenant}` })
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: setting, exact: true }) })
      .getByRole('cell')
      .allTextContents();

  async function signIn(email: string, password: string) {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    test = await startTestServer(engine, { keepOneTimePassword: true });
    browser = await launchBrowser(engine);
    page = browser.page;
  });
  afterEach(async (context) => {
    // A failing story leaves a picture of where it stood.
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
    if (browser) console.log(`dashboard screenshots (${engine}): ${browser.screenshotDir}`);
  });

  it('makes the bootstrap admin change the one-time password at first sign-in', async () => {
    await page.goto(test.url + '/');
    await heading('Sign in').waitFor();
    await browser.screenshot('01-sign-in');

    await signIn(ADMIN_EMAIL, test.server.bootstrap.admin!.oneTimePassword);
    await heading('Choose a new password').waitFor();
    await page.getByLabel('New password', { exact: true }).fill(NEW_ADMIN_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Set password and continue' }).click();

    await heading('Users').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/users');
    await expect(page.getByRole('link', { name: 'New user' }).isVisible()).resolves.toBe(true);
    // Through a token: turning 2FA on later ends the admin's other sessions.
    const session = (await login(test.url, ADMIN_EMAIL, NEW_ADMIN_PASSWORD)).client;
    expect((await session.get('/api/v1/me')).body.user.mustChangePassword).toBe(false);
    admin = new ApiClient(test.url, { token: (await session.post('/api/v1/me/tokens', { name: 'dashboard test', expiresIn: '1d' })).body.secret });
    await browser.screenshot('02-users');
  });

  it('creates a role with the permission matrix of the Roles page', async () => {
    await navigateTo('Roles');
    await heading('Roles').waitFor();
    await page.getByRole('link', { name: 'New role' }).click();
    await heading('New role').waitFor();
    await page.getByLabel('Name').fill('workflow-editor');
    await page.getByLabel('Description').fill('Edits workflows and what triggers them');
    const granted = ['ViewUsers', 'ManageWorkflows', 'ManageCronJobs', 'ManageWebhooks', 'ApproveActions', 'ViewAuditLogs'];
    for (const permission of granted) await page.getByRole('checkbox', { name: new RegExp(`^${permission}\\b`) }).check();
    await browser.screenshot('03-role-matrix');
    await page.getByRole('button', { name: 'Create role' }).click();

    await heading('Roles').waitFor();
    await page.getByRole('link', { name: 'workflow-editor' }).waitFor();
    const roles = (await admin.get('/api/v1/roles')).body.items as { name: string; permissions: string[] }[];
    expect(roles.find((role) => role.name === 'workflow-editor')?.permissions.sort()).toEqual([...granted].sort());
    await browser.screenshot('04-roles');
  });

  it('shows built-in roles read-only', async () => {
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await heading('Admin').waitFor();
    // Granted permissions read as a list with check marks, not as disabled boxes.
    await expect(page.getByRole('checkbox').count()).resolves.toBe(0);
    await expect(page.getByRole('list', { name: 'Granted in Users & identity' }).getByText('ManageUsers', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Save role' }).count()).resolves.toBe(0);
  });

  let createdEmail: string;

  it('creates a user with the custom role and shows the one-time password once', async () => {
    createdEmail = uniqueEmail('editor');
    await navigateTo('Users');
    await page.getByRole('link', { name: 'New user' }).click();
    await heading('New user').waitFor();
    await page.getByLabel('Email').fill(createdEmail);
    await page.getByLabel('Display name').fill('Wanda Editor');
    await page.getByLabel('Role', { exact: true }).selectOption('workflow-editor');
    await expect(page.getByLabel('Generate one').isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Create user' }).click();

    const credentials = page.getByRole('region', { name: 'One-time credentials' });
    await credentials.waitFor();
    const oneTimePassword = (await credentials.getByLabel('One-time password', { exact: true }).textContent())!;
    expect(oneTimePassword.length).toBeGreaterThanOrEqual(12);
    await browser.screenshot('05-user-created');

    const signedIn = await login(test.url, createdEmail, oneTimePassword);
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.response.body).toMatchObject({ mustChangePassword: true });

    await page.getByRole('link', { name: 'Open user' }).click();
    await heading('Wanda Editor').waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Roles per tenant' }).click();
    await expect(page.getByLabel('Role in default').inputValue()).resolves.toBe('workflow-editor');
    // Each tab is a step in the history: back is Details, then the New user page.
    await page.goBack();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.goBack();
    await heading('New user').waitFor();
    expect(await page.content()).not.toContain(oneTimePassword);
  });

  it('suspends a user from the user page', async () => {
    await navigateTo('Users');
    await page.getByRole('searchbox', { name: 'Search users' }).fill(createdEmail);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Wanda Editor' }).click();
    await heading('Wanda Editor').waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Roles per tenant' }).click();
    await expect(page.getByLabel('Role in default').inputValue()).resolves.toBe('workflow-editor');
    await page.getByRole('list', { name: 'Effective permissions' }).getByText('ManageWorkflows').waitFor();

    await page.getByRole('button', { name: 'Suspend', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Suspend ${createdEmail}?` });
    await dialog.getByRole('button', { name: 'Suspend user' }).click();

    await page.getByRole('button', { name: 'Re-activate' }).waitFor();
    await expect(page.locator('.user-header .badge-suspended').textContent()).resolves.toBe('suspended');
    const users = (await admin.get(`/api/v1/users?search=${encodeURIComponent(createdEmail)}`)).body.items;
    expect(users[0]).toMatchObject({ email: createdEmail, status: 'suspended' });
    await browser.screenshot('06-user-suspended');
  });

  it('resets a password with a one-time link that the Set password page redeems', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Reset Me' }, admin);
    await page.goto(`${test.url}/admin/users/${person.id}`);
    await heading('Reset Me').waitFor();
    await page.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('dialog', { name: 'Reset the password of' }).getByRole('button', { name: 'Send reset link' }).click();
    const link = (await page.getByRole('region', { name: 'Password-reset link' }).getByLabel('Reset link', { exact: true }).textContent())!;
    expect(link).toMatch(/\/set-password#token=/);

    // The link names the configured public URL; the test server listens on a port of its own.
    await page.goto(test.url + '/set-password' + new URL(link).hash);
    await heading('Set your password').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password', { exact: true }).fill('the password I chose myself');
    await page.getByLabel('Confirm new password').fill('the password I chose myself');
    await browser.screenshot('07-set-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('is set').waitFor();
    expect((await login(test.url, person.email, 'the password I chose myself')).response.status).toBe(200);
  });

  it('signs a user out everywhere, revoking their API tokens only when asked', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Sign Me Out' }, admin);
    const token = new ApiClient(test.url, { token: (await person.client.post('/api/v1/me/tokens', { name: 'ci', expiresIn: '30d' })).body.secret });
    await page.goto(`${test.url}/admin/users/${person.id}`);
    await heading('Sign Me Out').waitFor();
    const dialog = page.getByRole('dialog', { name: `End every session of ${person.email}?` });
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await dialog.getByRole('button', { name: 'End sessions' }).click();
    await page.getByText('Ended 1 session(s).').waitFor();
    expect((await token.get('/api/v1/me')).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await dialog.getByLabel('Also revoke all their API tokens').check();
    await dialog.getByRole('button', { name: 'End sessions' }).click();
    await page.getByText('Ended 0 session(s) and revoked 1 API token(s).').waitFor();
    expect((await token.get('/api/v1/me')).status).toBe(401);
  });

  it('shows the rbac trail, with diffs, on the Audit page filtered by category', async () => {
    await page.goto(test.url + '/admin/users');
    await navigateTo('Audit');
    await heading('Audit log').waitFor();
    await page.getByLabel('Category').selectOption('rbac');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/category=rbac/);

    const table = page.getByRole('table', { name: 'Audit events' });
    const categories = () => table.locator('tbody tr td:nth-child(3)').allTextContents();
    // Until the filtered page arrives, the unfiltered one is still on screen.
    await expect.poll(async () => [...new Set(await categories())]).toEqual(['rbac']);
    expect((await categories()).length).toBeGreaterThanOrEqual(3);
    await expect(table.getByText('role.created').first().isVisible()).resolves.toBe(true);
    await expect(table.getByText('role.assigned').first().isVisible()).resolves.toBe(true);
    // The diffs: the permissions the role was created with, the role the user was given.
    await expect(table.getByRole('listitem').filter({ hasText: /^permissions.*ManageWorkflows/ }).first().isVisible()).resolves.toBe(true);
    await expect(table.getByRole('listitem').filter({ hasText: /^role.*workflow-editor/ }).first().isVisible()).resolves.toBe(true);
    await browser.screenshot('08-audit-rbac');
  });

  it('creates an API token in Settings → Security and shows its secret once', async () => {
    await navigateTo('Security');
    await heading('Security settings').waitFor();
    await page.getByLabel('Token name').fill('ci-deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByRole('region', { name: 'New token “ci-deploy”' }).getByLabel('Token secret', { exact: true }).textContent())!;
    expect(secret).toMatch(/^sph_/);
    await browser.screenshot('09-security');

    const viaToken = await new ApiClient(test.url, { token: secret }).get('/api/v1/me');
    expect(viaToken.status).toBe(200);
    expect(viaToken.body.user.email).toBe(ADMIN_EMAIL);

    await page.reload();
    await page.getByRole('table', { name: 'Your API tokens' }).getByRole('cell', { name: 'ci-deploy' }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('turns on two-factor authentication, then asks for a second factor at sign-in', async () => {
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const key = (await page.getByLabel('Setup key').textContent())!;
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    await browser.screenshot('10-two-factor-setup');
    // The server's clock is the test's manual clock: the code is computed for its time.
    const code = new TOTP({ secret: key, digits: 6, period: 30 }).generate({ timestamp: test.clock.now().getTime() });
    await page.getByLabel('Code from the app').fill(code);
    await page.getByRole('form', { name: 'Confirm two-factor authentication' }).getByLabel('Current password').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    const codeList = page.getByRole('list', { name: 'Recovery code list' });
    await codeList.waitFor();
    const codes = await codeList.getByRole('listitem').allTextContents();
    expect(codes.length).toBeGreaterThan(0);
    await browser.screenshot('11-two-factor-on');
    await page.getByRole('button', { name: 'I saved my recovery codes' }).click();

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading('Sign in').waitFor();
    await signIn(ADMIN_EMAIL, NEW_ADMIN_PASSWORD);
    await heading('Two-factor authentication').waitFor();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0]!);
    await browser.screenshot('12-two-factor-step');
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading('Users').waitFor();
  });

  it('acts in the tenant picked in the tenant switcher', async () => {
    expect((await admin.post('/api/v1/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
    const acmeEmail = uniqueEmail('acme');
    expect((await admin.inTenant('acme').post('/api/v1/users', { email: acmeEmail, displayName: 'Acme Person', role: 'Viewer', tenant: 'acme' })).status).toBe(201);
    await page.reload();
    await heading('Users').waitFor();
    await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
    await page.getByRole('link', { name: 'Acme Person' }).waitFor();
    await expect(page.getByRole('link', { name: 'Wanda Editor' }).count()).resolves.toBe(0);
    await page.getByLabel('Tenant', { exact: true }).selectOption('default');
    await page.getByRole('link', { name: 'Wanda Editor' }).waitFor();
  });

  it('moves a user to another tenant from the user page', async () => {
    const mover = await createSignedInUser(test, { role: 'Viewer', displayName: 'Moe Mover' }, admin);
    await page.goto(`${test.url}/admin/users/${mover.id}`);
    await heading('Moe Mover').waitFor();
    await page.getByLabel('Destination tenant').selectOption('acme');
    await page.getByRole('button', { name: 'Move user' }).click();
    const dialog = page.getByRole('dialog', { name: `Move ${mover.email} to acme?` });
    // Before confirming: the role they would hold in each tenant (a dry run of the move itself), and what changes.
    const preview = dialog.getByRole('table', { name: 'Roles after the move' });
    await preview.getByRole('row', { name: /acme/ }).waitFor();
    expect(await preview.getByRole('row', { name: /acme/ }).innerText()).toMatch(/acme\s+\(none\)\s+Viewer/);
    // Their role in the tenant they leave goes with the move.
    expect(await preview.getByRole('row', { name: /default/ }).innerText()).toMatch(/default\s+Viewer\s+\(none\)/);
    await expect(dialog.getByRole('note').innerText()).resolves.toMatch(/Their role changes in 2 tenants/);
    expect((await admin.get(`/api/v1/users/${mover.id}`)).body.homeTenant).toBe('default');
    await dialog.getByRole('button', { name: 'Move', exact: true }).click();
    await page.waitForURL(/\/admin\/users$/);
    expect((await admin.inTenant('acme').get(`/api/v1/users/${mover.id}`)).body).toMatchObject({ homeTenant: 'acme', role: 'Viewer' });
  });

  it('requires 2FA installation-wide from Admin → Settings → Authentication, and stops again', async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Gus Global' }, admin);
    await navigateTo('Settings');
    await heading('Authentication settings').waitFor();
    const installation = page.getByRole('form', { name: 'Installation-wide authentication' });
    // The default session lifetimes of appsettings.json.
    await installation.getByText('08:00:00').waitFor();
    await expect(installation.getByText('7.00:00:00').isVisible()).resolves.toBe(true);

    await installation.getByLabel('Require 2FA for every user').check();
    await installation.getByRole('button', { name: 'Save installation setting' }).click();
    await page.getByRole('dialog', { name: 'Require 2FA for every user?' }).getByRole('button', { name: 'Require 2FA' }).click();
    await installation.getByRole('status').waitFor();
    await browser.screenshot('14-authentication-settings');
    expect((await admin.get('/api/v1/settings/authentication')).body.overrides.requireTwoFactor).toBe(true);
    // What the tenants inherit follows at once.
    await expect.poll(() => applies('default', 'Require 2FA')).toEqual(['Require 2FA', 'required', 'installation-wide setting']);
    const held = await person.client.get('/api/v1/me');
    expect(held.status).toBe(403);
    expect(held.body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');

    // The admin has 2FA, so saving didn't send them to enrolment.
    await installation.getByLabel('Require 2FA for every user').uncheck();
    await installation.getByRole('button', { name: 'Save installation setting' }).click();
    await expect.poll(async () => (await admin.get('/api/v1/settings/authentication')).body.overrides.requireTwoFactor).toBe(false);
    expect((await person.client.get('/api/v1/me')).status).toBe(200);
  });

  it("requires 2FA for one tenant's users from the per-tenant settings", async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', tenant: 'acme', displayName: 'Ada Acme' }, admin.inTenant('acme'));
    await page.goto(test.url + '/admin/settings/authentication');
    await heading('Authentication settings').waitFor();
    await page.getByLabel('Tenant to configure').selectOption('acme');
    const form = page.getByRole('form', { name: 'Authentication settings of acme' });
    await form.getByLabel('Require 2FA', { exact: true }).selectOption('Required');
    await form.getByRole('button', { name: 'Save tenant settings' }).click();
    await form.getByRole('status').waitFor();

    await expect.poll(() => applies('acme', 'Require 2FA')).toEqual(['Require 2FA', 'required', "this tenant's setting"]);
    await expect(applies('acme', 'Idle timeout')).resolves.toEqual(['Idle timeout', '08:00:00', 'appsettings.json']);
    await browser.screenshot('15-tenant-authentication-settings');

    const signedIn = await test.login(person.email, USER_PASSWORD);
    expect(signedIn.response.status).toBe(200);
    const held = await signedIn.client.get('/api/v1/me');
    expect(held.status).toBe(403);
    expect(held.body.error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
    // Only acme requires it: the installation and the default tenant don't.
    expect((await admin.get('/api/v1/tenants/default/settings/authentication')).body.effective.requireTwoFactor).toBe(false);
  });

  it("shows the server's message for an idle timeout it can't read, and saves nothing", async () => {
    const before = (await admin.get('/api/v1/tenants/acme/settings/authentication')).body;
    const form = page.getByRole('form', { name: 'Authentication settings of acme' });
    await form.getByLabel('Idle timeout').fill('eight hours');
    await form.getByRole('button', { name: 'Save tenant settings' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    const refused = await admin.put('/api/v1/tenants/acme/settings/authentication', { idleTimeout: 'eight hours' });
    expect(refused.status).toBe(400);
    await expect(alert.textContent()).resolves.toBe(refused.body.error.message);
    expect(refused.body.error.message).toContain('eight hours');
    expect((await admin.get('/api/v1/tenants/acme/settings/authentication')).body).toEqual(before);

    // Corrected, it saves, written the server's way.
    await form.getByLabel('Idle timeout').fill('4:00:00');
    await form.getByRole('button', { name: 'Save tenant settings' }).click();
    await form.getByRole('status').waitFor();
    await expect(form.getByLabel('Idle timeout').inputValue()).resolves.toBe('04:00:00');
    await expect.poll(() => applies('acme', 'Idle timeout')).toEqual(['Idle timeout', '04:00:00', "this tenant's setting"]);
    await expect(form.getByRole('alert').count()).resolves.toBe(0);
    expect((await admin.get('/api/v1/tenants/acme/settings/authentication')).body.overrides).toEqual({ requireTwoFactor: true, idleTimeout: '04:00:00', absoluteTimeout: null });
  });

  it("lifts a user's sign-in lock from the user page", async () => {
    const person = await createSignedInUser(test, { role: 'Viewer', displayName: 'Lou Locked' }, admin);
    // Five wrong passwords in a row: the account must wait (the test's clock stands still).
    for (let attempt = 0; attempt < 5; attempt++) expect((await test.login(person.email, 'not the password')).response.status).toBe(401);
    expect((await admin.get(`/api/v1/users/${person.id}/sign-in-lock`)).body).toMatchObject({ state: 'waiting', failures: 5 });
    expect((await test.login(person.email, USER_PASSWORD)).response.status).not.toBe(200);

    await page.goto(`${test.url}/admin/users/${person.id}/security`);
    await heading('Lou Locked').waitFor();
    const section = page.getByRole('region', { name: 'Sign-in lock' });
    await section.getByText('waiting', { exact: true }).waitFor();
    await browser.screenshot('16-sign-in-lock');
    await section.getByRole('button', { name: 'Unlock' }).click();
    await section.getByText('open', { exact: true }).waitFor();
    await expect(section.getByRole('button', { name: 'Unlock' }).count()).resolves.toBe(0);

    expect((await admin.get(`/api/v1/users/${person.id}/sign-in-lock`)).body).toMatchObject({ state: 'open', failures: 0 });
    expect((await test.login(person.email, USER_PASSWORD)).response.status).toBe(200);
  });

  /** A CSV file as the file picker would hand it over. */
  const csvFile = (name: string, ...lines: string[]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n') + '\r\n') });
  /** The cells of the report's row for an email. */
  const reportRow = (table: string, email: string) => page.getByRole('table', { name: table }).getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) }).getByRole('cell');
  const usersNamed = async (email: string) => (await admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`)).body.items as { email: string; role: string }[];

  let importedEmail: string;

  it("shows the server's message for a CSV file it refuses whole", async () => {
    await navigateTo('Users');
    await heading('Users').waitFor();
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await heading('Import users').waitFor();
    const lines = ['email,displayName,shoeSize', `${uniqueEmail('shoe')},Sam Shoe,44`];
    await page.getByLabel('CSV file').setInputFiles(csvFile('shoes.csv', ...lines));
    await page.getByRole('button', { name: 'Check file' }).click();
    const alert = page.getByRole('form', { name: 'Import users' }).getByRole('alert');
    await alert.waitFor();
    const refused = await admin.post('/api/v1/users/import?dryRun=true', new RawBody(lines.join('\r\n') + '\r\n', 'text/csv'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('CSV_UNKNOWN_COLUMNS');
    await expect(alert.textContent()).resolves.toBe(refused.body.error.message);
    await expect(page.getByRole('table', { name: 'Import check' }).count()).resolves.toBe(0);
  });

  it('refuses a file Excel saved as Windows-1252 with its line, and reads it with Encoding: Windows-1252', async () => {
    const rene = uniqueEmail('rene');
    const file = { name: 'excel.csv', mimeType: 'text/csv', buffer: Buffer.from(`email,displayName\r\n${rene},Ren\xe9 Dupont\r\n`, 'latin1') };
    await page.getByLabel('CSV file').setInputFiles(file);
    await page.getByRole('button', { name: 'Check file' }).click();
    const alert = page.getByRole('form', { name: 'Import users' }).getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('line 2 has the byte 0xE9 ("é" in Windows-1252) after "Ren"');

    await page.getByLabel('Encoding').selectOption('windows-1252');
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByRole('table', { name: 'Import check' }).waitFor();
    await expect(reportRow('Import check', rene).allTextContents()).resolves.toEqual(['2', rene, 'valid', 'Ready to import']);
    await page.getByLabel('Encoding').selectOption('utf-8');
  });

  it('checks a CSV file row by row without creating anyone, then imports its valid row', async () => {
    importedEmail = uniqueEmail('imported');
    const rejectedEmail = uniqueEmail('rejected');
    await page.getByLabel('CSV file').setInputFiles(
      csvFile('people.csv', 'email,displayName,role,tenant,password', `${importedEmail},Ivy Imported,workflow-editor,,`, `${rejectedEmail},Rex Rejected,no-such-role,,`),
    );

    // Check file: a dry run, row by row, with the reason of the rejected one.
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByRole('table', { name: 'Import check' }).waitFor();
    await expect(reportRow('Import check', importedEmail).allTextContents()).resolves.toEqual(['2', importedEmail, 'valid', 'Ready to import']);
    const rejected = await reportRow('Import check', rejectedEmail).allTextContents();
    expect(rejected.slice(0, 3)).toEqual(['3', rejectedEmail, 'rejected']);
    expect(rejected[3]).toContain('No role "no-such-role" exists in this tenant.');
    expect(rejected[3]).toContain('ROLE_NOT_FOUND');
    await expect(page.getByRole('status').textContent()).resolves.toContain('Nothing was written');
    await browser.screenshot('17-import-check');
    expect(await usersNamed(importedEmail)).toEqual([]);

    // All or nothing: the rejected row keeps the valid one out too.
    await page.getByLabel('All or nothing').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading('Nothing was imported').waitFor();
    await expect(reportRow('Import result', importedEmail).allTextContents()).resolves.toEqual(['2', importedEmail, 'valid', 'Not created: another row was rejected']);
    expect(await usersNamed(importedEmail)).toEqual([]);

    // Without it, the valid row goes in, and its one-time password is shown this once.
    await page.getByLabel('All or nothing').uncheck();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading('Users imported').waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toContain('1 user created, 1 row rejected');
    await page.getByRole('region', { name: 'One-time passwords' }).getByText('only this once').waitFor();
    const created = await reportRow('Import result', importedEmail).allTextContents();
    expect(created.slice(0, 3)).toEqual(['2', importedEmail, 'created']);
    expect(created[3]).toContain('Ivy Imported in default as workflow-editor');
    expect((await reportRow('Import result', rejectedEmail).allTextContents())[2]).toBe('rejected');
    const oneTimePassword = (await page.getByLabel(`One-time password for ${importedEmail}`, { exact: true }).textContent())!;
    expect(oneTimePassword.length).toBeGreaterThanOrEqual(12);
    await browser.screenshot('18-import-done');

    expect(await usersNamed(importedEmail)).toMatchObject([{ email: importedEmail, role: 'workflow-editor' }]);
    expect(await usersNamed(rejectedEmail)).toEqual([]);
    const signedIn = await login(test.url, importedEmail, oneTimePassword);
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.response.body).toMatchObject({ mustChangePassword: true });

    await page.getByRole('link', { name: 'Back to users' }).click();
    await heading('Users').waitFor();
    expect(await page.content()).not.toContain(oneTimePassword);
  });

  it("downloads the tenant's users with Export CSV", async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('users-default.csv');
    const bytes = await readFile((await download.path())!);
    // With a byte-order mark, for Excel to read it as UTF-8.
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['email', 'displayName', 'role', 'tenant', 'status', 'lastLoginAt', 'createdAt', 'homeTenant', 'id']);
    expect(rows.find((row) => row.email === importedEmail)).toMatchObject({ displayName: 'Ivy Imported', role: 'workflow-editor', tenant: 'default', status: 'active' });
    expect(rows.find((row) => row.email === createdEmail)).toMatchObject({ displayName: 'Wanda Editor', status: 'suspended' });
    expect(rows.map((row) => row.email)).toContain(ADMIN_EMAIL);
    // Only the acting tenant's members: Acme Person lives in acme.
    expect(rows.every((row) => row.tenant === 'default')).toBe(true);
  });

  it('exports the audit trail with the filters of the Audit page, as JSON', async () => {
    await page.goto(test.url + '/admin/audit?category=users');
    await heading('Audit log').waitFor();
    await page.getByRole('table', { name: 'Audit events' }).waitFor();
    await page.getByLabel('Export format').selectOption('json');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe('audit-users.json');
    const { items } = JSON.parse(await readFile((await download.path())!, 'utf8')) as { items: { category: string; action: string; detail: { via?: string } | null }[] };
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((event) => event.category === 'users')).toBe(true);
    expect(items.some((event) => event.action === 'users.imported')).toBe(true);
    const exported = (await admin.get('/api/v1/audit?category=system&limit=5')).body.items as { action: string; detail: { format: string; filters: { category: string } } }[];
    expect(exported.find((event) => event.action === 'audit.exported')?.detail).toMatchObject({ format: 'json', filters: { category: 'users' } });
  });

  it("hides the controls a Viewer lacks the permission for, like the New user button", async () => {
    const viewer = await createSignedInUser(test, { role: 'Viewer', displayName: 'Vic Viewer' }, admin);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading('Sign in').waitFor();
    await signIn(viewer.email, USER_PASSWORD);

    await heading('Users').waitFor();
    await page.getByRole('link', { name: 'Vic Viewer' }).waitFor();
    await expect(page.getByRole('link', { name: 'New user' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Import CSV' }).count()).resolves.toBe(0);
    // Viewing users is enough to export them.
    await expect(page.getByRole('button', { name: 'Export CSV' }).isVisible()).resolves.toBe(true);
    await browser.screenshot('13-users-as-viewer');

    await page.getByRole('link', { name: 'Wanda Editor' }).click();
    await heading('Wanda Editor').waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Account activity' }).waitFor();
    for (const control of ['Suspend', 'Re-activate', 'Reset password', 'Delete user', 'Save role']) {
      await expect(page.getByRole('button', { name: control, exact: true }).count(), control).resolves.toBe(0);
    }
    await navigateTo('Roles');
    await heading('Roles').waitFor();
    await expect(page.getByRole('link', { name: 'New role' }).count()).resolves.toBe(0);

    await page.goto(test.url + '/admin/users/new');
    await heading('Not available').waitFor();
    await expect(page.getByText('ManageUsers').isVisible()).resolves.toBe(true);
    await page.goto(test.url + '/admin/users/import');
    await heading('Not available').waitFor();
    await expect(page.getByText('ManageUsers').isVisible()).resolves.toBe(true);
  });

  it('shows a Viewer no Settings entry under Admin, and not the page', async () => {
    const main = page.getByRole('navigation', { name: 'Main' });
    await main.getByRole('link', { name: 'Users', exact: true }).waitFor();
    await expect(main.getByRole('link', { name: 'Settings', exact: true }).count()).resolves.toBe(0);
    await page.goto(test.url + '/admin/settings/authentication');
    await heading('Not available').waitFor();
    await expect(page.getByText('ManageSettings or ManageTenants').isVisible()).resolves.toBe(true);
  });

  it('stayed on 127.0.0.1, within its Content-Security-Policy, without script errors', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});

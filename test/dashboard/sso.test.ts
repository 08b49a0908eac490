import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageOf } from '../../src/domain/error-catalogue.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../support/harness.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * Single sign-on in a real browser: Chromium against the real server, configured for a real
 * OpenID Provider (oidc-provider, test/support/oidc-provider.ts) on 127.0.0.1. The browser
 * follows the whole redirect chain itself — Sophon → the provider's login step → Sophon's
 * callback → the dashboard — and never leaves loopback. Its own servers, so the shared
 * story of dashboard.test.ts is not disturbed. One engine: the flow is the same on both, and
 * test/sso.test.ts covers the server on SQLite and PostgreSQL.
 */

const BUTTON_LABEL = 'Sign in with Acme SSO';
const NO_ROLE_MAPPING = "Your identity provider account isn't in any group mapped to a Sophon role; ask an administrator.";

async function findUsers(test: TestServer, email: string) {
  const response = await test.admin.get(`/api/v1/users?search=${encodeURIComponent(email)}`);
  expect(response.status).toBe(200);
  return response.body.items as { id: string; email: string; displayName: string; role: string | null }[];
}

describe('single sign-on in the dashboard', () => {
  let idp: TestIdentityProvider;
  let test: TestServer;
  let browser: Browser;
  let page: Page;

  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const ssoButton = () => page.getByRole('link', { name: BUTTON_LABEL, exact: true });
  const ssoAlert = () => page.getByRole('alert', { name: 'Single sign-on failed' });
  const userMenu = () => page.locator('.user-menu');

  /** At the provider: waits for its login page and signs `account` in there, as a person would. */
  async function signInAtProvider(account: string) {
    await page.waitForURL((url) => url.origin === idp.issuer && /^\/interaction\/[^/]+$/.test(url.pathname));
    const form = page.getByRole('form', { name: 'Identity provider sign-in' });
    await form.getByLabel('Account').fill(account);
    await form.getByRole('button', { name: 'Continue' }).click();
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    idp = await startTestIdentityProvider();
    test = await startTestServer('sqlite', {
      environment: {
        Sophon__Auth__Sso__Enabled: 'true',
        Sophon__Auth__Sso__Issuer: idp.issuer,
        Sophon__Auth__Sso__ClientId: idp.clientId,
        Sophon__Auth__Sso__ClientSecret: idp.clientSecret,
        Sophon__Auth__Sso__Scopes: 'openid email profile groups',
        Sophon__Auth__Sso__GroupClaim: 'groups',
        'Sophon__Auth__Sso__RoleMappings__sophon-admins': 'Admin',
        'Sophon__Auth__Sso__RoleMappings__sophon-operators': 'Operator',
        Sophon__Auth__Sso__ButtonLabel: BUTTON_LABEL,
      },
    });
    idp.register(`${test.url}/api/v1/auth/sso/callback`);
    browser = await launchBrowser('sso');
    page = browser.page;
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await browser.screenshot(`failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
    await idp?.close();
    if (browser) console.log(`dashboard screenshots (sso): ${browser.screenshotDir}`);
  });

  it('signs a new user in through the identity provider, with the role their group maps to', async () => {
    const email = uniqueEmail('sso-operator');
    idp.setAccount({ sub: 'dana', email, name: 'Dana Operator', groups: ['staff', 'sophon-operators'] });

    await page.goto(test.url + '/');
    await heading('Sign in').waitFor();
    await ssoButton().waitFor();
    // The password form stays, for local accounts.
    await expect(page.getByRole('form', { name: 'Sign in' }).getByLabel('Password', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('or', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(ssoButton().getAttribute('href')).resolves.toBe('/api/v1/auth/sso');
    await browser.screenshot('sso-01-sign-in');

    await ssoButton().click();
    await signInAtProvider('dana');

    // Back on the dashboard, signed in by the cookie session the callback opened.
    await userMenu().getByText('Dana Operator', { exact: true }).waitFor();
    await expect(userMenu().getByText('Operator', { exact: true }).textContent()).resolves.toBe('Operator');
    const landed = new URL(page.url());
    expect(landed.origin).toBe(test.url);
    expect(landed.pathname).not.toBe('/login');
    await browser.screenshot('sso-02-signed-in');

    const [user] = await findUsers(test, email);
    expect(user).toMatchObject({ email, displayName: 'Dana Operator', role: 'Operator' });
    expect((await test.admin.get(`/api/v1/users/${user!.id}`)).body).toMatchObject({ email, role: 'Operator', homeTenant: 'default' });

    // Settings → Security: no password to change, no Sophon 2FA to confirm with one.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security', exact: true }).click();
    await heading('Security settings').waitFor();
    await page.getByRole('region', { name: 'Password' }).getByText(/your account has no Sophon password/).waitFor();
    await page.getByRole('region', { name: 'Two-factor authentication' }).getByText(/second factor there is the provider's job/).waitFor();
    await expect(page.getByRole('form', { name: 'Change password' }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Current password').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Set up an authenticator app' }).count()).resolves.toBe(0);

    // A write from the SSO session: its CSRF token came only in the sophon_csrf cookie.
    await page.getByLabel('Display name').fill('Dana O.');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('Display name saved.').waitFor();
    expect((await findUsers(test, email))[0]!.displayName).toBe('Dana O.');
    await browser.screenshot('sso-03-security');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading('Sign in').waitFor();
  });

  it('ends on the sign-in page with the SSO_NO_ROLE_MAPPING message when no group maps to a role', async () => {
    // A new person at the provider: its session for the previous account goes with the cookies.
    await browser.context.clearCookies();
    const email = uniqueEmail('sso-unmapped');
    idp.setAccount({ sub: 'erin', email, name: 'Erin Contractor', groups: ['contractors'] });

    await page.goto(test.url + '/login');
    await ssoButton().click();
    await signInAtProvider('erin');

    await page.waitForURL((url) => url.origin === test.url && url.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('ssoError')).toBe('SSO_NO_ROLE_MAPPING');
    await ssoAlert().waitFor();
    await expect(ssoAlert().textContent()).resolves.toContain(NO_ROLE_MAPPING);
    await expect(ssoAlert().getByText('SSO_NO_ROLE_MAPPING', { exact: true }).isVisible()).resolves.toBe(true);
    // Both ways in are still offered.
    await expect(heading('Sign in').isVisible()).resolves.toBe(true);
    await expect(ssoButton().isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).resolves.toBe(true);
    await browser.screenshot('sso-04-no-role-mapping');

    // Refused: nothing was created.
    expect(await findUsers(test, email)).toEqual([]);
  });

  it("shows the server's refusal of a forged callback, a generic message for codes it doesn't know, and still signs in with a password", async () => {
    await browser.context.clearCookies();
    // A callback this browser never started: the server redirects to the sign-in page.
    await page.goto(`${test.url}/api/v1/auth/sso/callback?code=forged&state=forged`);
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('ssoError') === 'SSO_STATE_INVALID');
    await expect(ssoAlert().textContent()).resolves.toContain('The sign-in took too long or was started in another browser; try again.');

    await page.goto(`${test.url}/login?ssoError=SSO_SOMETHING_NEW`);
    await expect(ssoAlert().textContent()).resolves.toContain("Single sign-on didn't sign you in");
    await expect(ssoAlert().getByText('SSO_SOMETHING_NEW', { exact: true }).isVisible()).resolves.toBe(true);

    // Where the catalogue's message speaks to the person, the page shows that one, not a copy.
    await page.goto(`${test.url}/login?ssoError=SSO_TOO_MANY_ATTEMPTS`);
    await expect(ssoAlert().textContent()).resolves.toContain(messageOf('SSO_TOO_MANY_ATTEMPTS', {}));

    // The address is anyone's to write: text that isn't a code is not repeated on the page.
    await page.goto(`${test.url}/login?ssoError=${encodeURIComponent('Call +1 555 0100 to unlock your account')}`);
    await expect(ssoAlert().textContent()).resolves.not.toContain('555');

    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading('Users').waitFor();
    expect(new URL(page.url()).search).toBe('');
    // The admin sees the person SSO created, with the mapped role.
    await page.getByRole('row').filter({ hasText: 'Dana O.' }).getByRole('cell', { name: 'Operator', exact: true }).waitFor();
    // Their page names the provider account that signs in as them, and that they have no password.
    await page.getByRole('link', { name: 'Dana O.' }).click();
    await heading('Dana O.').waitFor();
    await page.getByRole('navigation', { name: 'User sections' }).getByRole('link', { name: 'Security' }).click();
    const identities = page.getByRole('table', { name: 'Identity provider accounts' });
    await identities.getByRole('cell', { name: 'dana', exact: true }).waitFor();
    await expect(identities.getByRole('cell', { name: idp.issuer, exact: true }).isVisible()).resolves.toBe(true);
    await page.getByText(/No local password/).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading('Sign in').waitFor();
  });

  it('never left loopback, and the pages logged no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});

describe('the sign-in page without single sign-on', () => {
  let test: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    test = await startTestServer('sqlite');
    browser = await launchBrowser('no-sso');
  });
  afterAll(async () => {
    await browser?.close();
    await test?.close();
  });

  it('offers no SSO button, only the password form', async () => {
    const { page } = browser;
    const config = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/auth/sso/config');
    await page.goto(test.url + '/login');
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await (await config).json()).toEqual({ enabled: false });
    await page.getByRole('form', { name: 'Sign in' }).getByLabel('Password', { exact: true }).waitFor();
    await expect(page.getByRole('link', { name: /sign in with/i }).count()).resolves.toBe(0);
    await expect(page.locator('a[href^="/api/v1/auth/sso"]').count()).resolves.toBe(0);
    await expect(page.getByText('or', { exact: true }).count()).resolves.toBe(0);
    expect(browser.blocked).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});

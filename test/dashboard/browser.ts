import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium the browser tests drive (CI installs it: apt-get install -y chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Requests the guard stopped because they weren't for 127.0.0.1. */
  blocked: string[];
  /** Console errors and uncaught exceptions of the page (CSP violations show up here). */
  problems: string[];
  /** Saves a full-page screenshot as <name>.png in the screenshot folder. */
  screenshot(name: string): Promise<string>;
  screenshotDir: string;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, no background services, and every request that
 * isn't for 127.0.0.1 aborted: the tests never reach the network.
 */
export async function launchBrowser(label: string): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`The dashboard's browser tests need Chromium at ${CHROMIUM_PATH}, and it isn't there. Install it: apt-get update && apt-get install -y chromium (CI's .ci/run does this).`);
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'sophon-chromium-'));
  const screenshotDir = process.env.SOPHON_SCREENSHOT_DIR ? path.join(process.env.SOPHON_SCREENSHOT_DIR, label) : mkdtempSync(path.join(tmpdir(), `sophon-screenshots-${label}-`));
  mkdirSync(screenshotDir, { recursive: true });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 860 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  const blocked: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Generous: CI machines have two cores and the server, PostgreSQL and Chromium share them.
  page.setDefaultTimeout(30_000);
  page.on('console', (message) => {
    // The API's own refusals (a 4xx the page shows to the user) are expected; anything else is a problem.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return {
    page,
    context,
    blocked,
    problems,
    screenshotDir,
    async screenshot(name) {
      const file = path.join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in page from a clean slate (no cookies) and waits for the main navigation. */
export async function signInThroughPage(browser: Browser, baseUrl: string, email: string, password: string): Promise<void> {
  const { page } = browser;
  await browser.context.clearCookies();
  await page.goto(baseUrl + '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

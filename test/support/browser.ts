import fs from 'node:fs';
import path from 'node:path';
import { chromium as playwright, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Flags from issue 4: headless, no sandbox (containers), nothing phoning home. */
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

/** Debian's chromium when installed, else the build shipped inside @sparticuz/chromium (npm only). */
async function chromiumPath(): Promise<string> {
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const { default: sparticuz } = await import('@sparticuz/chromium');
  return sparticuz.executablePath();
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh, isolated context (its own cookies): one per simulated person. */
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/**
 * Launches one Chromium per test file. playwright's `launch` gives it a fresh temporary profile
 * directory (a fresh user-data dir) and removes it on close.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await playwright.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      context.setDefaultTimeout(15_000);
      return { context, page: await context.newPage() };
    },
    async close() {
      await browser.close();
    },
  };
}

/** Where screenshots go (test-output/ is gitignored). */
export const SCREENSHOT_DIR = path.resolve('test-output', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

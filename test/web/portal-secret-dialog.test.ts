import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Dialog as BrowserDialog, Page } from 'playwright-core';
import { ADMIN_PASSWORD, type TestServer } from '../support/test-server.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { call, openPreferences, portalLogin, startPortalServer } from './portal.fixture.ts';

/**
 * The show-once secret (issue 19): Escape, Back, a reload and closing the tab must not silently
 * throw away the only copy of a new API token's secret; only OK closes the dialog.
 */
describe('portal: the "API token created" dialog closes only on OK', () => {
  let srv: TestServer;
  let adminToken: string;
  let browser: TestBrowser;
  let admin: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    const started = await startPortalServer();
    srv = started.srv;
    adminToken = started.adminToken;
    browser = await launchBrowser();
    admin = await browser.newPage();
    await portalLogin(admin.page, srv.url, 'System', 'administrator', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  /** Browser prompts (confirm, beforeunload) answered by `answer`, recorded. */
  function answerPrompts(page: Page, answer: 'accept' | 'dismiss'): { seen: { type: string; message: string }[]; stop(): void } {
    const seen: { type: string; message: string }[] = [];
    const onDialog = (d: BrowserDialog) => {
      seen.push({ type: d.type(), message: d.message() });
      void (answer === 'accept' ? d.accept() : d.dismiss());
    };
    page.on('dialog', onDialog);
    return { seen, stop: () => page.off('dialog', onDialog) };
  }

  async function createToken(page: Page, name: string) {
    await openPreferences(page, 'administrator');
    await page.getByRole('region', { name: 'API Tokens' }).getByRole('button', { name: 'New' }).click();
    await page.getByLabel('Token name').fill(name);
    await page.keyboard.press('Enter');
    const created = page.getByRole('dialog', { name: 'API token created' });
    await created.waitFor();
    const secret = await created.getByLabel(`API token "${name}"`).inputValue();
    expect(secret).toMatch(/^odt_/);
    return { created, secret };
  }

  const hash = (page: Page) => page.evaluate(() => window.location.hash);

  it('Escape (even twice) keeps it open and says to copy the token, then choose OK', async () => {
    const { page } = admin;
    await page.goto(`${srv.url}/provider#/`);
    const { created, secret } = await createToken(page, 'escape-check');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    expect(await created.isVisible()).toBe(true);
    expect(await created.getByRole('status').filter({ hasText: 'copy it, then choose OK' }).isVisible()).toBe(true);
    expect(await created.getByLabel('API token "escape-check"').inputValue()).toBe(secret);
    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await created.waitFor({ state: 'detached' });
  });

  it('Back asks first: staying keeps the dialog, the secret and the address; leaving goes back', async () => {
    const { page } = admin;
    await page.goto(`${srv.url}/provider#/`);
    const { created, secret } = await createToken(page, 'back-check');
    const preferencesHash = await hash(page);

    const stay = answerPrompts(page, 'dismiss');
    await page.goBack();
    await expect.poll(() => stay.seen.length).toBe(1);
    stay.stop();
    expect(stay.seen[0]).toEqual({ type: 'confirm', message: expect.stringMatching(/^Leave this page\? The API token's secret is shown only once/) });
    expect(await created.isVisible()).toBe(true);
    expect(await created.getByLabel('API token "back-check"').inputValue()).toBe(secret);
    await expect.poll(() => hash(page)).toBe(preferencesHash);

    const leave = answerPrompts(page, 'accept');
    await page.goBack();
    await created.waitFor({ state: 'detached' });
    leave.stop();
    expect(leave.seen.map((d) => d.type)).toEqual(['confirm']);
    expect(await hash(page)).not.toBe(preferencesHash);
  });

  it('a reload and closing the tab ask first (beforeunload); after OK nothing asks', async () => {
    const { page } = admin;
    await page.goto(`${srv.url}/provider#/`);
    const { created, secret } = await createToken(page, 'reload-check');

    const stay = answerPrompts(page, 'dismiss');
    // The reload waits on the prompt, which is dismissed: it never happens.
    void page.reload().catch(() => undefined);
    await expect.poll(() => stay.seen.map((d) => d.type)).toEqual(['beforeunload']);
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => stay.seen.map((d) => d.type)).toEqual(['beforeunload', 'beforeunload']);
    stay.stop();
    expect(page.isClosed()).toBe(false);
    expect(await created.getByLabel('API token "reload-check"').inputValue()).toBe(secret);

    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await created.waitFor({ state: 'detached' });
    const after = answerPrompts(page, 'accept');
    await page.goBack();
    await page.reload();
    await page.getByRole('button', { name: 'User menu for administrator' }).waitFor();
    after.stop();
    expect(after.seen).toEqual([]);
    // The token the dialog showed is there, and the one whose dialog was left (Back) too: revocable.
    const names = (await call<{ values: { name: string }[] }>(srv.url, adminToken, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128')).values.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['escape-check', 'back-check', 'reload-check']));
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../support/test-server.ts';
import { createApiToken, login } from '../support/flows.ts';
import { bearer, request } from '../support/http-client.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import {
  PASSWORD, call, createOrg, createTokenBundle, createUser, exchangeApiToken, goTo, openPreferences, portalLogin, publishBundle, rowWith,
  startPortalServer,
} from './portal.fixture.ts';

/** Name and text of the focused element, for keyboard assertions. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el && el !== document.body ? `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent ?? ''}` : 'body';
  });
}

/**
 * The API-token dialogs under stress (seeds 000–003): the show-once dialog's wording and focus,
 * no way to lose a secret mid-creation, tokens revoked behind the page's back, a copy that fails,
 * and a session that ends before the next create. One logged-in page, tests in order.
 */
describe('portal API-token dialogs at their edges', () => {
  let srv: TestServer;
  let browser: TestBrowser;
  let alice: { context: BrowserContext; page: Page };
  let aliceApi: string;

  beforeAll(async () => {
    const started = await startPortalServer();
    srv = started.srv;
    browser = await launchBrowser();
    const acme = await createOrg(srv.url, started.adminToken, 'acme');
    await createUser(srv.url, started.adminToken, acme, 'alice', 'vApp Author');
    await createUser(srv.url, started.adminToken, acme, 'olga', 'Organization Administrator');
    await publishBundle(srv.url, started.adminToken, await createTokenBundle(srv.url, started.adminToken, 'API token access'), [acme]);
    aliceApi = await login(srv.url, 'alice', 'acme', PASSWORD);
    alice = await browser.newPage();
    await portalLogin(alice.page, srv.url, 'acme', 'alice');
    await openPreferences(alice.page, 'alice');
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  const tokensSection = () => alice.page.getByRole('region', { name: 'API Tokens' });

  // Each test starts from a freshly loaded User preferences page (same session): no dialog left open.
  beforeEach(async () => {
    await alice.page.reload();
    await tokensSection().getByRole('button', { name: 'New' }).waitFor();
  });

  async function tokenNamesOnServer(): Promise<string[]> {
    const list = await call<{ values: { name: string }[] }>(srv.url, aliceApi, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128');
    return list.values.map((t) => t.name).sort();
  }

  it('puts focus on Copy in the show-once dialog, closes it with OK (seed 002), and gives focus back to New', async () => {
    const { page } = alice;
    await tokensSection().getByRole('button', { name: 'New' }).click();
    await page.getByLabel('Token name').fill('focus-check');
    await page.keyboard.press('Enter');
    const created = page.getByRole('dialog', { name: 'API token created' });
    await created.waitFor();
    await expect.poll(() => focused(page)).toBe('button:Copy');
    expect(await created.getByRole('button', { name: 'Done' }).count()).toBe(0);
    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await created.waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe('button:New');
  });

  it('keeps the New dialog open while the token is being minted, so Escape cannot throw its secret away', async () => {
    const { page } = alice;
    let release = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    await page.route('**/oauth/tenant/acme/token', async (route) => { await gate; await route.continue(); });
    try {
      await tokensSection().getByRole('button', { name: 'New' }).click();
      const dialog = page.getByRole('dialog', { name: 'New API token' });
      await dialog.getByLabel('Token name').fill('slow-mint');
      const minting = page.waitForRequest('**/oauth/tenant/acme/token');
      await page.keyboard.press('Enter');
      await minting;
      // Twice: Chromium force-closes a modal dialog on a repeated Escape whose cancel was refused.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      expect(await dialog.isVisible()).toBe(true);
      expect(await dialog.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
      await screenshot(page, 'api-token-minting');
    } finally {
      release();
    }
    const created = page.getByRole('dialog', { name: 'API token created' });
    await created.waitFor();
    expect(await created.isVisible()).toBe(true);
    const secret = await created.getByLabel('API token "slow-mint"').inputValue();
    expect((await exchangeApiToken(srv.url, 'acme', secret)).status).toBe(200);
    await page.unroute('**/oauth/tenant/acme/token');
    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await created.waitFor({ state: 'detached' });
    expect(await tokenNamesOnServer()).toEqual(['focus-check', 'slow-mint']);
  });

  it('returns focus to the ⋮ button when a revoke confirmation is cancelled with Escape', async () => {
    const { page } = alice;
    await tokensSection().getByRole('button', { name: 'Actions for token focus-check' }).click();
    await page.getByRole('menuitem', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API token' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe('button:Actions for token focus-check');
  });

  it('treats revoking a token that was already revoked elsewhere as done: no error, the row goes, focus lands on New', async () => {
    const { page } = alice;
    const listed = await call<{ values: { id: string; name: string }[] }>(srv.url, aliceApi, 'GET', '/cloudapi/1.0.0/tokens/?filter=name==focus-check');
    const id = listed.values[0]?.id ?? '';
    await tokensSection().getByRole('button', { name: 'Actions for token focus-check' }).click();
    await page.getByRole('menuitem', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API token' });
    await confirm.waitFor();
    // Revoked by a script (or another tab) while the confirmation is open.
    await call(srv.url, aliceApi, 'DELETE', `/cloudapi/1.0.0/tokens/${id}`);
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'detached' });
    await rowWith(tokensSection(), 'focus-check').waitFor({ state: 'detached' });
    await rowWith(tokensSection(), 'slow-mint').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('button:New');
  });

  it("lets an org admin revoke another user's token that was already revoked, without a bogus \"not allowed\"", async () => {
    const extra = await createApiToken(srv.url, aliceApi, 'acme', 'alice-extra');
    const { context, page } = await browser.newPage();
    await portalLogin(page, srv.url, 'acme', 'olga');
    await goTo(page, 'Users');
    await page.getByRole('link', { name: 'alice' }).click();
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await rowWith(tokens, 'alice-extra').waitFor();
    await call(srv.url, aliceApi, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${extra.id}`);
    await tokens.getByRole('button', { name: 'Revoke token alice-extra' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API token' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'detached' });
    await rowWith(tokens, 'alice-extra').waitFor({ state: 'detached' });
    await rowWith(tokens, 'slow-mint').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await context.close();
  });

  it('says so when copying fails instead of claiming the token was copied', async () => {
    const { page } = alice;
    await tokensSection().getByRole('button', { name: 'New' }).click();
    await page.getByLabel('Token name').fill('no-clipboard');
    await page.keyboard.press('Enter');
    const created = page.getByRole('dialog', { name: 'API token created' });
    await created.waitFor();
    // A browser that refuses both the async clipboard and the legacy copy command.
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) } });
      document.execCommand = () => false;
    });
    await created.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => created.getByRole('status').textContent()).toContain('Could not copy');
    const secret = await created.getByLabel('API token "no-clipboard"').inputValue();
    // The token is selected for a manual copy.
    expect(await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement | null;
      return el ? el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0) : '';
    })).toBe(secret);
    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await created.waitFor({ state: 'detached' });
  });

  it('sends the user back to the login screen with a message when the session ended before creating a token', async () => {
    const { context, page } = alice;
    const cookie = (await context.cookies()).find((c) => c.name === 'od_session');
    const ended = await request(srv.url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(cookie?.value ?? ''), accept: 'application/json;version=39.1' } });
    expect(ended.status, ended.text).toBe(204);
    await tokensSection().getByRole('button', { name: 'New' }).click();
    await page.getByLabel('Token name').fill('after-logout');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Your session has ended. Log in again.');
    await page.getByLabel('Password').waitFor();
    await screenshot(page, 'api-token-session-ended');
    expect(await tokenNamesOnServer()).toEqual(['no-clipboard', 'slow-mint']);
  });
});

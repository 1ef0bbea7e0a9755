import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../support/test-server.ts';
import { request } from '../support/http-client.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import { call, createOrg, createUser, goTo, portalLogin, publishBundle, rowWith, startPortalServer, type OrgRef } from './portal.fixture.ts';

/**
 * Issue 16 in Chromium: a tenant administrator creates a service account in Administration ›
 * Service accounts, approves its device on the verification page the device was told to open
 * (`verification_uri_complete`), sees it ACTIVE, revokes and deletes it.
 */
describe('portal service accounts and device page', () => {
  let srv: TestServer;
  let adminToken: string;
  let browser: TestBrowser;
  let gamma: OrgRef;
  let olga: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    [{ srv, adminToken }, browser] = await Promise.all([startPortalServer(), launchBrowser()]);
    gamma = await createOrg(srv.url, adminToken, 'gamma');
    await createUser(srv.url, adminToken, gamma, 'olga', 'Organization Administrator');
    const bundle = await call<{ id: string }>(srv.url, adminToken, 'POST', '/cloudapi/1.0.0/rightsBundles/', {
      name: 'Service accounts', description: 'Lets tenant administrators manage service accounts', bundleKey: 'x', readOnly: false, publishAll: false,
    });
    const rights = await call<{ values: { id: string; name: string }[] }>(srv.url, adminToken, 'GET',
      `/cloudapi/1.0.0/rights/?filter=${encodeURIComponent('name==Service Accounts: View,name==Service Accounts: Manage')}`);
    expect(rights.values).toHaveLength(2);
    await call(srv.url, adminToken, 'PUT', `/cloudapi/1.0.0/rightsBundles/${bundle.id}/rights`, { values: rights.values });
    await publishBundle(srv.url, adminToken, bundle.id, [gamma]);
    olga = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('creates a service account, approves its device on the verification page, then revokes and deletes it', async () => {
    const { page } = olga;
    await portalLogin(page, srv.url, 'gamma', 'olga');
    await goTo(page, 'Service accounts');
    await page.getByText('No service accounts yet.').waitFor();
    await page.getByRole('button', { name: 'New service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'New service account' });
    await dialog.getByLabel('Name').fill('robot');
    await dialog.getByLabel('Role').selectOption('vApp User');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const clientId = await page.getByLabel('Client ID').textContent();
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot(page, 'service-account-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => rowWith(page, 'robot').getByText('Created').count()).toBe(1);

    // The device asks for codes, as a script or `opendirector login --service-account` does.
    const authz = await request(srv.url, 'POST', '/oauth/tenant/gamma/device_authorization', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${clientId}`,
    });
    expect(authz.status, authz.text).toBe(200);
    const { device_code: deviceCode, user_code: userCode, verification_uri_complete: complete } = authz.json();

    await page.goto(complete);
    await page.getByRole('heading', { name: 'Approve a device' }).waitFor();
    expect(await page.getByLabel('User code').inputValue()).toBe(userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    // Which account asks, before anything is approved (RFC 8628 §5.4).
    await page.getByText(/asks to sign in as service account robot with role vApp User in gamma/).waitFor();
    await screenshot(page, 'device-page');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'robot' }).waitFor();

    const first = await request(srv.url, 'POST', '/oauth/tenant/gamma/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId!, device_code: deviceCode }).toString(),
    });
    expect(first.status, first.text).toBe(200);

    await page.getByRole('link', { name: 'Back to service accounts' }).click();
    await expect.poll(() => rowWith(page, 'robot').getByText('Active').count()).toBe(1);
    await page.getByRole('button', { name: 'Revoke robot' }).click();
    await page.getByRole('dialog', { name: 'Revoke service account' }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => rowWith(page, 'robot').getByText('Created').count()).toBe(1);
    const refused = await request(srv.url, 'POST', '/oauth/tenant/gamma/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.json().refresh_token }).toString(),
    });
    expect(refused.status).toBe(400);
    await page.getByRole('button', { name: 'Delete robot' }).click();
    await page.getByRole('dialog', { name: 'Delete service account' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No service accounts yet.').waitFor();
  });

  it('tells an administrator a wrong user code apart from a right one', async () => {
    const { page } = olga;
    await page.goto(`${srv.url}/tenant/gamma/device`);
    await page.getByRole('heading', { name: 'Approve a device' }).waitFor();
    await page.getByLabel('User code').fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('The user code is unknown, expired or already used.').waitFor();
  });
});

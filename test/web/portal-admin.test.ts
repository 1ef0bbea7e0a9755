import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login } from '../support/flows.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import {
  PASSWORD, call, createOrg, createUser, exchangeApiToken, goTo, openPreferences, portalLogin, rowWith, startPortalServer, type OrgRef,
} from './portal.fixture.ts';

/**
 * Issue 4: the provider switches the token feature on for a tenant by publishing a rights bundle
 * (seed 000), a tenant admin revokes another user's tokens (seed 001), and the remaining
 * administration screens (users, roles, orgs, global roles, audit log, VMs) work end to end.
 * Three people, three browser contexts, one browser; the tests run in order.
 */
describe('portal administration and provider screens', () => {
  let srv: TestServer;
  let adminToken: string;
  let browser: TestBrowser;
  let beta: OrgRef;
  let bob: { context: BrowserContext; page: Page };
  let provider: { context: BrowserContext; page: Page };
  let olga: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    [{ srv, adminToken }, browser] = await Promise.all([startPortalServer(), launchBrowser()]);
    beta = await createOrg(srv.url, adminToken, 'beta');
    await createUser(srv.url, adminToken, beta, 'bob', 'vApp Author');
    await createUser(srv.url, adminToken, beta, 'olga', 'Organization Administrator');
    const vdc = await call(srv.url, adminToken, 'POST', '/cloudapi/1.0.0/vdcs', { name: 'beta-vdc', org: { id: beta.id } });
    const vapp = await call(srv.url, adminToken, 'POST', '/cloudapi/1.0.0/vapps', { name: 'web', vdc: { id: vdc.id } });
    for (const [name, status] of [['web-01', 'POWERED_ON'], ['web-02', 'POWERED_OFF']] as const) {
      await call(srv.url, adminToken, 'POST', '/cloudapi/1.0.0/vms', { name, vapp: { id: vapp.id }, guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 2, memoryMb: 4096, status });
    }
    [bob, provider, olga] = await Promise.all([browser.newPage(), browser.newPage(), browser.newPage()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('shows no API Tokens section to a user whose org has no bundle with the token rights', async () => {
    await portalLogin(bob.page, srv.url, 'beta', 'bob');
    await openPreferences(bob.page, 'bob');
    await bob.page.getByRole('region', { name: 'Second factor' }).waitFor();
    expect(await bob.page.getByRole('heading', { name: 'API Tokens' }).count()).toBe(0);
    expect(await bob.page.getByRole('button', { name: 'New' }).count()).toBe(0);
    await screenshot(bob.page, 'preferences-without-token-right');
  });

  it('lets the provider publish a rights bundle that makes the API Tokens section appear for the tenant', async () => {
    const { page } = provider;
    await portalLogin(page, srv.url, 'System', 'administrator', 'admin-Passw0rd!');
    await goTo(page, 'Organizations');
    await rowWith(page, 'beta').waitFor();
    await screenshot(page, 'provider-organizations');

    await goTo(page, 'Rights bundles');
    await page.getByRole('row', { name: /Default Rights Bundle/ }).waitFor();
    await page.getByRole('button', { name: 'New rights bundle' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rights bundle' });
    await dialog.getByLabel('Name').fill('API token access');
    await dialog.getByLabel('Description').fill("Manage user's own and all users' API tokens");
    await dialog.getByRole('button', { name: 'Create' }).click();

    await page.getByRole('heading', { name: 'API token access', level: 1 }).waitFor();
    await page.getByLabel('Filter rights').fill('API Tokens');
    await page.getByRole('checkbox', { name: /^API Tokens: Manage — / }).check();
    await page.getByRole('checkbox', { name: /^API Tokens: Manage All — / }).check();
    await page.getByRole('button', { name: 'Save rights' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Rights saved.' }).count()).toBe(1);

    await page.getByLabel('Chosen tenants').check();
    await page.getByRole('checkbox', { name: /^beta/ }).check();
    await page.getByRole('button', { name: 'Save publication' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Publication saved.' }).count()).toBe(1);
    await page.getByLabel('Filter rights').fill('');
    await screenshot(page, 'provider-rights-bundle-publish');
    await page.getByRole('link', { name: /All rights bundles/ }).click();
    await page.getByRole('row', { name: /API token access/ }).waitFor();
    await screenshot(page, 'provider-rights-bundles');

    await bob.page.reload();
    await bob.page.getByRole('heading', { name: 'API Tokens' }).waitFor();
    await expect.poll(() => bob.page.getByRole('region', { name: 'API Tokens' }).textContent()).toContain('You have no API tokens.');
  });

  it("lets an org admin see another user's tokens by name only and revoke one, then all", async () => {
    const bobSession = await login(srv.url, 'bob', 'beta', PASSWORD);
    const script = await createApiToken(srv.url, bobSession, 'beta', 'bob-script');
    const backup = await createApiToken(srv.url, bobSession, 'beta', 'bob-backup');

    const { page } = olga;
    await portalLogin(page, srv.url, 'beta', 'olga');
    await goTo(page, 'Users');
    await rowWith(page, 'bob').waitFor();
    await expect.poll(() => rowWith(page, 'bob').textContent()).toContain('vApp Author');
    await screenshot(page, 'admin-users');
    await page.getByRole('link', { name: 'bob' }).click();
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await rowWith(tokens, 'bob-script').waitFor();
    await rowWith(tokens, 'bob-backup').waitFor();
    expect(await page.content()).not.toContain(script.token);
    await screenshot(page, 'admin-user-tokens');

    await tokens.getByRole('button', { name: 'Revoke token bob-script' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API token' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await rowWith(tokens, 'bob-script').waitFor({ state: 'detached' });
    expect((await exchangeApiToken(srv.url, 'beta', script.token)).status).toBe(400);
    expect((await exchangeApiToken(srv.url, 'beta', backup.token)).status).toBe(200);

    await tokens.getByRole('button', { name: 'Revoke all' }).click();
    await page.getByRole('dialog', { name: 'Revoke all API tokens' }).getByRole('button', { name: 'Revoke all' }).click();
    await expect.poll(() => tokens.textContent()).toContain('bob has no API tokens.');
    expect((await exchangeApiToken(srv.url, 'beta', backup.token)).status).toBe(400);
  });

  it('lists VMs and powers one on and off', async () => {
    const { page } = bob;
    await goTo(page, 'Virtual machines');
    const row = rowWith(page, 'web-02');
    await expect.poll(() => row.textContent()).toContain('Powered off');
    await screenshot(page, 'virtual-machines');
    await row.getByRole('button', { name: 'Power on web-02' }).click();
    await expect.poll(() => row.textContent()).toContain('Powered on');
    await row.getByRole('button', { name: 'Power off web-02' }).click();
    // Powering off asks first (issue 19).
    await page.getByRole('dialog', { name: 'Power off virtual machine' }).getByRole('button', { name: 'Power off' }).click();
    await expect.poll(() => row.textContent()).toContain('Powered off');
  });

  it('filters the audit log by the API token that did something', async () => {
    const bobSession = await login(srv.url, 'bob', 'beta', PASSWORD);
    const tool = await createApiToken(srv.url, bobSession, 'beta', 'bob-automation');
    const tokenSession = await exchange(srv.url, 'beta', tool.token);
    const vms = await request(srv.url, 'GET', `/cloudapi/1.0.0/vms?filter=${encodeURIComponent('name==web-01')}`, { headers: { ...bearer(tokenSession), accept: 'application/json;version=39.1' } });
    const vmId = vms.json<{ values: { id: string }[] }>().values[0]?.id.split(':').pop();
    const off = await request(srv.url, 'POST', `/api/vApp/vm-${vmId}/power/action/powerOff`, { headers: { ...bearer(tokenSession), accept: 'application/*+xml;version=36.1' } });
    expect(off.status, off.text).toBe(202);

    const { page } = provider;
    await goTo(page, 'Audit log');
    await page.getByRole('row').nth(1).waitFor();
    await page.getByLabel('API token id').fill(`urn:vcloud:token:${tool.id}`);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // Every row left is the token's, and the power-off it did is among them.
    await expect.poll(async () => {
      const rows = (await page.getByRole('row').allTextContents()).slice(1);
      return rows.length > 0 && rows.every((r) => r.includes(tool.id)) && rows.some((r) => r.includes('vm/power_off'));
    }).toBe(true);
    await screenshot(page, 'audit-log-by-token');

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('User', { exact: true }).fill('olga');
    await page.getByLabel('Event type').selectOption({ label: 'session/login' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => {
      const rows = (await page.getByRole('row').allTextContents()).slice(1);
      return rows.length > 0 && rows.every((r) => r.includes('olga') && r.includes('session/login'));
    }).toBe(true);
  });

  it('lets the provider manage users and roles of a tenant org through the org picker', async () => {
    const { page } = provider;
    await goTo(page, 'Users');
    await page.getByLabel('Organization').selectOption({ label: 'beta' });
    await rowWith(page, 'olga').waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('User name').fill('erin');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByLabel('Full name').fill('Erin Example');
    await dialog.getByLabel('Role').selectOption({ label: 'vApp User' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await rowWith(page, 'erin').waitFor();

    await page.getByRole('link', { name: 'erin' }).click();
    await page.getByRole('heading', { name: 'erin', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog', { name: 'Disable user' }).getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    await page.getByRole('checkbox', { name: 'Catalog Author' }).check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    await expect.poll(async () => (await call(srv.url, adminToken, 'GET', `/cloudapi/1.0.0/users/?filter=username==erin`, undefined, beta.uuid)).values[0].roleEntityRefs.map((r: { name: string }) => r.name).sort())
      .toEqual(['Catalog Author', 'vApp User']);
    await screenshot(page, 'admin-user-detail');
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('dialog', { name: 'Delete user' }).getByRole('button', { name: 'Delete' }).click();
    await rowWith(page, 'olga').waitFor();
    expect(await rowWith(page, 'erin').count()).toBe(0);

    await goTo(page, 'Roles');
    await page.getByLabel('Organization').selectOption({ label: 'beta' });
    await page.getByRole('link', { name: 'vApp Author' }).click();
    await page.getByRole('heading', { name: 'vApp Author', level: 2 }).waitFor();
    await expect.poll(() => page.getByRole('checkbox', { name: /^vApp: View/ }).isChecked()).toBe(true);
    await screenshot(page, 'admin-roles');
  });

  it('lets the provider create and disable an organization and look at a global role', async () => {
    const { page } = provider;
    await goTo(page, 'Organizations');
    await page.getByRole('button', { name: 'New organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'New organization' });
    await dialog.getByLabel('Name', { exact: true }).fill('delta');
    await dialog.getByLabel('Display name').fill('Delta Industries');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = rowWith(page, 'delta');
    await expect.poll(() => row.textContent()).toContain('Enabled');
    await row.getByRole('button', { name: 'Disable delta' }).click();
    await page.getByRole('dialog', { name: 'Disable organization' }).getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => row.textContent()).toContain('Disabled');
    await screenshot(page, 'provider-organizations-disabled');

    await goTo(page, 'Global roles');
    await page.getByRole('link', { name: 'vApp Author' }).click();
    await page.getByRole('heading', { name: 'vApp Author', level: 1 }).waitFor();
    await expect.poll(() => page.getByLabel('All tenants, now and in the future').isChecked()).toBe(true);
    await expect.poll(() => page.getByRole('checkbox', { name: /^API Tokens: Manage — / }).isChecked()).toBe(true);
    await screenshot(page, 'provider-global-role');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../support/test-server.ts';
import { createApiToken, login } from '../support/flows.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import {
  PASSWORD, call, createOrg, createTokenBundle, createUser, goTo, openPreferences, portalLogin, publishBundle, rowWith, startPortalServer,
  type OrgRef,
} from './portal.fixture.ts';

/**
 * Issue 17 in the portal: the New-token dialog's limits (expiry, read-only, rights, networks),
 * the list's expiry and badges, the provider's policy screen per org (which the dialog then
 * follows), and the org's token inventory with its filters and "revoke all of this user's tokens".
 * Three people, one browser; the tests run in order.
 */
describe('portal token governance', () => {
  let srv: TestServer;
  let adminToken: string;
  let browser: TestBrowser;
  let acme: OrgRef;
  let alice: { context: BrowserContext; page: Page };
  let olga: { context: BrowserContext; page: Page };
  let provider: { context: BrowserContext; page: Page };
  let aliceApi: string;

  beforeAll(async () => {
    [{ srv, adminToken }, browser] = await Promise.all([startPortalServer(), launchBrowser()]);
    acme = await createOrg(srv.url, adminToken, 'acme');
    await createUser(srv.url, adminToken, acme, 'alice', 'vApp Author');
    await createUser(srv.url, adminToken, acme, 'olga', 'Organization Administrator');
    await publishBundle(srv.url, adminToken, await createTokenBundle(srv.url, adminToken, 'API token access'), [acme]);
    aliceApi = await login(srv.url, 'alice', 'acme', PASSWORD);
    [alice, olga, provider] = await Promise.all([browser.newPage(), browser.newPage(), browser.newPage()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  const aliceTokens = async () => (await call<{ values: any[] }>(srv.url, aliceApi, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128')).values;

  it('creates a read-only, 90-day, network-limited token and a rights-limited one from the New dialog; the list shows expiry and badges', async () => {
    const { page } = alice;
    await portalLogin(page, srv.url, 'acme', 'alice');
    await openPreferences(page, 'alice');
    const section = page.getByRole('region', { name: 'API Tokens' });
    await section.getByRole('button', { name: 'New' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API token' });
    await dialog.getByLabel('Token name').fill('dashboards');
    await dialog.getByLabel('Expires', { exact: true }).selectOption({ label: '90 days' });
    await dialog.getByLabel('Read-only: scripts using this token can only read').check();
    await dialog.getByLabel('Allowed networks').fill('10.0.0.0/8, 192.0.2.0/24');
    await screenshot(page, 'new-token-limits');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'API token created' });
    await created.waitFor();
    expect(await created.textContent()).toContain('It expires on');
    await created.getByRole('button', { name: 'OK', exact: true }).click();

    const row = rowWith(section, 'dashboards');
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('Read-only');
    expect(text).toContain('Networks: 10.0.0.0/8, 192.0.2.0/24');
    // Name, Created, Expires, …: the Expires cell names a date, not "Never".
    expect(await row.getByRole('cell').nth(2).textContent()).not.toBe('Never');
    const onServer = (await aliceTokens()).find((x) => x.name === 'dashboards');
    expect(onServer).toMatchObject({ access: 'read', allowedNetworks: ['10.0.0.0/8', '192.0.2.0/24'] });
    const days = (Date.parse(onServer.expirationTimeUtc) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);

    await section.getByRole('button', { name: 'New' }).click();
    await dialog.getByLabel('Token name').fill('token-admin-only');
    await dialog.getByLabel('Only some of my rights').check();
    await dialog.getByRole('list', { name: 'Rights of the token' }).getByLabel('API Tokens: Manage', { exact: true }).check();
    await dialog.getByRole('button', { name: 'Create' }).click();
    await created.getByRole('button', { name: 'OK', exact: true }).click();
    await rowWith(section, 'token-admin-only').waitFor();
    expect((await aliceTokens()).find((x) => x.name === 'token-admin-only')).toMatchObject({ rights: ['API Tokens: Manage'], access: 'full', expirationTimeUtc: null });
    expect(await rowWith(section, 'token-admin-only').textContent()).toContain('1 right');
  });

  it('the provider sets an org\'s policy on its screen; the New dialog then offers only what it allows', async () => {
    const { page } = provider;
    await portalLogin(page, srv.url, 'System', 'administrator', (await import('../support/test-server.ts')).ADMIN_PASSWORD);
    await goTo(page, 'API token policy');
    await page.getByLabel('Organization').selectOption({ label: 'acme' });
    await page.getByRole('heading', { name: /API token policy · acme/ }).waitFor();
    await page.getByLabel('Maximum lifetime (days)').fill('30');
    await page.getByLabel('Idle expiry (days)').fill('60');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Policy saved.').waitFor();
    await screenshot(page, 'token-policy');
    const policy = await call(srv.url, adminToken, 'GET', `/cloudapi/1.0.0/orgs/${acme.id}/apiTokenPolicy`);
    expect(policy).toMatchObject({ enabled: true, maxLifetimeDays: 30, idleExpiryDays: 60, defaultLifetimeDays: null, maxTokensPerUser: null, requireAllowedNetworks: false });

    const a = alice.page;
    await a.reload();
    const section = a.getByRole('region', { name: 'API Tokens' });
    await section.getByRole('button', { name: 'New' }).click();
    const dialog = a.getByRole('dialog', { name: 'New API token' });
    const expires = dialog.getByLabel('Expires', { exact: true });
    await expires.waitFor();
    const options = await expires.locator('option').allTextContents();
    expect(options).toEqual(['In 30 days (organization default)', '30 days', 'Custom date']);
    await dialog.getByLabel('Token name').fill('capped');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await a.getByRole('dialog', { name: 'API token created' }).getByRole('button', { name: 'OK', exact: true }).click();
    const capped = (await aliceTokens()).find((x) => x.name === 'capped');
    expect(Math.round((Date.parse(capped.expirationTimeUtc) - Date.now()) / 86_400_000)).toBe(30);
    // Tightening applied at once: the 90-day token now ends 30 days after its creation.
    const dashboards = (await aliceTokens()).find((x) => x.name === 'dashboards');
    expect(Date.parse(dashboards.expirationTimeUtc) - Date.parse(dashboards.createdAt)).toBe(30 * 86_400_000);
  });

  it('the org administrator\'s inventory filters the org\'s tokens and revokes all of one user\'s tokens', async () => {
    const { page } = olga;
    const olgaApi = await login(srv.url, 'olga', 'acme', PASSWORD);
    await createApiToken(srv.url, olgaApi, 'acme', 'olga-used');
    await portalLogin(page, srv.url, 'acme', 'olga');
    await goTo(page, 'API tokens');
    const table = page.getByRole('table', { name: 'API tokens' });
    await rowWith(table, 'dashboards').waitFor();
    expect(await rowWith(table, 'olga-used').count()).toBe(1);
    expect(await rowWith(table, 'dashboards').textContent()).toContain('alice');

    await page.getByLabel('Owner').fill('alice');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rowWith(table, 'olga-used').count()).toBe(0);
    expect(await rowWith(table, 'capped').count()).toBe(1);
    await page.getByLabel('Show').selectOption({ label: 'Expiring within 7 days' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No API tokens match.').waitFor();
    await page.getByLabel('Show').selectOption({ label: 'Never used' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await rowWith(table, 'capped').waitFor();
    await screenshot(page, 'token-inventory');

    await rowWith(table, 'capped').getByRole('button', { name: /Actions for token capped/ }).click();
    await page.getByRole('menuitem', { name: "Revoke all of alice's tokens" }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke all tokens of a user' });
    await confirm.getByRole('button', { name: "Revoke all of alice's tokens" }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No API tokens match.').waitFor();
    expect(await aliceTokens()).toEqual([]);
    const olgaLeft = (await call<{ values: { name: string }[] }>(srv.url, olgaApi, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128')).values.map((x) => x.name);
    expect(olgaLeft).toEqual(['olga-used']);
  });
});

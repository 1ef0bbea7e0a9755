import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { currentTotpCode } from '../../src/identity/totp.ts';
import { ensurePortalBuilt } from '../../src/web/build-portal.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';

/**
 * Fixtures for the portal's browser tests (issue 4). Orgs, users, bundles and second factors are
 * prepared through the public APIs, the same ones the portal itself uses.
 */
export const PASSWORD = 'Tenant-Passw0rd!';
const JSON_ACCEPT = { accept: 'application/json;version=39.1' };

export async function startPortalServer(): Promise<{ srv: TestServer; adminToken: string }> {
  await ensurePortalBuilt();
  const srv = await startTestServer();
  return { srv, adminToken: await loginAdmin(srv.url) };
}

/** One CloudAPI call as `token` (optionally in a tenant's context); asserts a 2xx and returns the JSON. */
export async function call<T = any>(url: string, token: string, method: string, path: string, json?: unknown, tenantId?: string): Promise<T> {
  const res = await request(url, method, path, {
    headers: { ...bearer(token), ...JSON_ACCEPT, ...(tenantId ? { 'x-vmware-vcloud-tenant-context': tenantId } : {}) },
    ...(json !== undefined ? { json } : {}),
  });
  expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
  return (res.text ? res.json() : undefined) as T;
}

export interface OrgRef { name: string; id: string; uuid: string }

export async function createOrg(url: string, adminToken: string, name: string, opts: { requireMfa?: boolean } = {}): Promise<OrgRef> {
  const org = await call<{ id: string; name: string }>(url, adminToken, 'POST', '/cloudapi/1.0.0/orgs/', {
    name, displayName: `${name[0]?.toUpperCase()}${name.slice(1)} Corporation`, isEnabled: true, requireMfa: opts.requireMfa ?? false,
  });
  return { name: org.name, id: org.id, uuid: org.id.split(':').pop() ?? '' };
}

/** Creates a local user holding one role (looked up by name in the org). */
export async function createUser(url: string, adminToken: string, org: OrgRef, username: string, roleName: string): Promise<string> {
  const roles = await call<{ values: { id: string; name: string }[] }>(url, adminToken, 'GET', `/cloudapi/1.0.0/roles/?filter=${encodeURIComponent(`name==${roleName}`)}`, undefined, org.uuid);
  const role = roles.values[0];
  expect(role, `role ${roleName} in ${org.name}`).toBeDefined();
  const user = await call<{ id: string }>(url, adminToken, 'POST', '/cloudapi/1.0.0/users/', {
    username, password: PASSWORD, fullName: `${username[0]?.toUpperCase()}${username.slice(1)} Example`, enabled: true,
    roleEntityRefs: [{ name: role?.name, id: role?.id }],
  }, org.uuid);
  return user.id;
}

/** Enrols TOTP for a user through the API; returns the secret (the test's authenticator app). */
export async function enrolTotp(url: string, org: string, username: string): Promise<string> {
  const token = await login(url, username, org, PASSWORD);
  const start = await call<{ secret: string }>(url, token, 'POST', '/cloudapi/1.0.0/mfa/totp', {});
  await call(url, token, 'POST', '/cloudapi/1.0.0/mfa/totp/confirm', { code: currentTotpCode(start.secret) });
  return start.secret;
}

/**
 * A code for the next 30-second step: the server refuses a step at or before the last one it
 * accepted (RFC 6238 §5.2) and accepts one step of drift, so the next step is always fresh.
 */
export function nextTotpCode(secret: string): string {
  return currentTotpCode(secret, Date.now() + 30_000);
}

/** Fills and submits the login form; stops before the second-factor step if one is asked for. */
export async function submitLogin(page: Page, url: string, org: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(org === 'System' ? `${url}/provider` : `${url}/tenant/${org}`);
  await page.getByLabel('User name').waitFor();
  // `/tenant/<org>` and `/provider` pre-fill the organization, as in VCD's portal URLs.
  expect(await page.getByLabel('Organization').inputValue()).toBe(org);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in through the portal and waits for the user menu. */
export async function portalLogin(page: Page, url: string, org: string, username: string, password = PASSWORD): Promise<void> {
  await submitLogin(page, url, org, username, password);
  await page.getByRole('button', { name: `User menu for ${username}` }).waitFor();
}

export async function openPreferences(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: `User menu for ${username}` }).click();
  await page.getByRole('menuitem', { name: 'User preferences' }).click();
  await page.getByRole('heading', { name: 'User preferences' }).waitFor();
}

/** Exchanges an API token at the org's token endpoint, as a script would (seeds 001–003). */
export function exchangeApiToken(url: string, org: string, apiToken: string) {
  return request(url, 'POST', `/oauth/tenant/${encodeURIComponent(org)}/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: apiToken }).toString(),
  });
}

/** A rights bundle holding the two API-token rights (seed 000's "API token" bundle). */
export async function createTokenBundle(url: string, adminToken: string, name: string): Promise<string> {
  const bundle = await call<{ id: string }>(url, adminToken, 'POST', '/cloudapi/1.0.0/rightsBundles/', {
    name, description: 'Lets tenant users manage API tokens', bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false, publishAll: false,
  });
  const rights = await call<{ values: { id: string; name: string }[] }>(url, adminToken, 'GET',
    `/cloudapi/1.0.0/rights/?filter=${encodeURIComponent('name==API Tokens: Manage,name==API Tokens: Manage All')}`);
  expect(rights.values).toHaveLength(2);
  await call(url, adminToken, 'PUT', `/cloudapi/1.0.0/rightsBundles/${bundle.id}/rights`, { values: rights.values.map((r) => ({ name: r.name, id: r.id })) });
  return bundle.id;
}

export async function publishBundle(url: string, adminToken: string, bundleId: string, orgs: OrgRef[]): Promise<void> {
  await call(url, adminToken, 'POST', `/cloudapi/1.0.0/rightsBundles/${bundleId}/tenants/publish`, { values: orgs.map((o) => ({ name: o.name, id: o.id })) });
}

/** Follows a link of the main navigation (tables may hold links with the same name) and waits for its screen. */
export async function goTo(page: Page, name: string): Promise<void> {
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  await link.click();
  // The link is marked current in the same render that swaps the screen: after this, no control
  // of the previous screen (an org picker of the same name) can be picked up by mistake.
  await expect.poll(() => link.getAttribute('aria-current')).toBe('page');
}

/** The table row that has a cell reading exactly `text`. */
export function rowWith(scope: Page | Locator, text: string): Locator {
  const page = 'page' in scope ? scope.page() : scope;
  return scope.getByRole('row').filter({ has: page.getByRole('cell', { name: text, exact: true }) });
}

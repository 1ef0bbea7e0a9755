import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotpCode } from '../../src/identity/totp.ts';
import type { TestServer } from '../support/test-server.ts';
import { login } from '../support/flows.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import {
  PASSWORD, call, createOrg, createUser, enrolTotp, nextTotpCode, openPreferences, startPortalServer, submitLogin, type OrgRef,
} from './portal.fixture.ts';

/** Issue 4, Login screen: password, TOTP step, enrolment at first login, clear failure messages. */
describe('portal login', () => {
  let srv: TestServer;
  let adminToken: string;
  let browser: TestBrowser;
  let acme: OrgRef;
  let aliceSecret: string;
  beforeAll(async () => {
    [{ srv, adminToken }, browser] = await Promise.all([startPortalServer(), launchBrowser()]);
    acme = await createOrg(srv.url, adminToken, 'acme');
    await createUser(srv.url, adminToken, acme, 'alice', 'vApp Author');
    aliceSecret = await enrolTotp(srv.url, 'acme', 'alice');
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('logs in with password and a TOTP code, after telling a wrong code apart', async () => {
    const { context, page } = await browser.newPage();
    await page.goto(`${srv.url}/tenant/acme`);
    await page.getByLabel('User name').waitFor();
    await screenshot(page, 'login');
    await submitLogin(page, srv.url, 'acme', 'alice');
    const code = page.getByLabel('Verification code');
    await code.waitFor();
    await screenshot(page, 'login-totp');
    await code.fill(currentTotpCode(aliceSecret) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong verification code');
    await code.fill(nextTotpCode(aliceSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'User menu for alice' }).waitFor();
    await expect.poll(() => page.locator('.portal-kind').textContent()).toBe('Tenant portal · acme');
    // The session rides in an HttpOnly cookie: nothing for script, nothing in web storage.
    expect(await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length])).toEqual(['', 0, 0]);
    const cookie = (await context.cookies()).find((c) => c.name === 'od_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    await context.close();
  });

  it('tells an already used code (the one that confirmed the enrolment) apart from a wrong one (issue 19)', async () => {
    await createUser(srv.url, adminToken, acme, 'uma', 'vApp User');
    const token = await login(srv.url, 'uma', 'acme', PASSWORD);
    const start = await call<{ secret: string }>(srv.url, token, 'POST', '/cloudapi/1.0.0/mfa/totp', {});
    const confirmCode = currentTotpCode(start.secret);
    await call(srv.url, token, 'POST', '/cloudapi/1.0.0/mfa/totp/confirm', { code: confirmCode });
    const { context, page } = await browser.newPage();
    await submitLogin(page, srv.url, 'acme', 'uma');
    const code = page.getByLabel('Verification code');
    await code.fill(confirmCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('This code was already used — wait for the next one');
    await screenshot(page, 'login-code-already-used');
    await code.fill(nextTotpCode(start.secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'User menu for uma' }).waitFor();
    await context.close();
  });

  it('says plainly that the organization, user name or password is wrong', async () => {
    const { context, page } = await browser.newPage();
    await submitLogin(page, srv.url, 'acme', 'alice', 'not-the-password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong organization, user name or password, or the account is disabled.');
    await screenshot(page, 'login-wrong-password');
    await context.close();
  });

  it('names a disabled account in the failure message, and a locked one explicitly after five wrong codes', async () => {
    const disabledId = await createUser(srv.url, adminToken, acme, 'dora', 'vApp User');
    await call(srv.url, adminToken, 'PUT', `/cloudapi/1.0.0/users/${disabledId}`, { username: 'dora', enabled: false }, acme.uuid);
    const { context, page } = await browser.newPage();
    await submitLogin(page, srv.url, 'acme', 'dora');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('or the account is disabled');

    // Accounts lock after five wrong second-factor codes (OPENDIRECTOR_TOTP_MAX_FAILURES).
    await createUser(srv.url, adminToken, acme, 'lars', 'vApp User');
    const larsSecret = await enrolTotp(srv.url, 'acme', 'lars');
    await submitLogin(page, srv.url, 'acme', 'lars');
    const staleCode = currentTotpCode(larsSecret, Date.now() - 3_600_000);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel('Verification code').fill(staleCode);
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(attempt < 5 ? 'Wrong verification code' : 'This account is locked');
    }
    await screenshot(page, 'login-locked');
    await context.close();
  });

  it('enrols TOTP at first login when the org requires it, then logs in with a code', async () => {
    const gamma = await createOrg(srv.url, adminToken, 'gamma', { requireMfa: true });
    await createUser(srv.url, adminToken, gamma, 'carol', 'vApp User');
    const { context, page } = await browser.newPage();
    await submitLogin(page, srv.url, 'gamma', 'carol');
    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    const qr = page.getByRole('img', { name: 'QR code to add this account to an authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.getByLabel('Manual entry key').textContent())?.replace(/\s+/g, '') ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await screenshot(page, 'enrol-totp');
    await page.getByLabel('Code from the app').fill(currentTotpCode(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    // The enrolment-only session stays limited: the portal sends carol back to log in with a code.
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Second factor set up');
    await page.getByLabel('User name').fill('carol');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Verification code').fill(nextTotpCode(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'User menu for carol' }).waitFor();
    await openPreferences(page, 'carol');
    await expect.poll(() => page.getByRole('region', { name: 'Second factor' }).textContent()).toContain('An authenticator app is set up');
    await context.close();
  });
});

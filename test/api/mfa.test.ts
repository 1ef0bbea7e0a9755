import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { basic, request } from '../support/http-client.ts';
import { currentTotpCode } from '../../src/identity/totp.ts';
import { api, auditEvents, C, createOrgViaApi, createUserViaApi, FORBIDDEN, inTenant, USER_PASSWORD, type Api } from './identity.fixture.ts';

let t: TestServer;
let provider: Api;
let orgId: string;
beforeAll(async () => {
  t = await startTestServer();
  provider = api(t, await loginAdmin(t.url));
  orgId = await createOrgViaApi(provider, 'acme');
});
afterAll(async () => {
  await t?.close();
});

const M = `${C}/mfa/totp`;
const STEP_MS = 30_000;

function tenantLogin(org: string, user: string, otp?: string) {
  return request(t.url, 'POST', `${C}/sessions`, {
    headers: { authorization: basic(user, org, USER_PASSWORD), accept: 'application/json;version=37.0', ...(otp ? { 'x-opendirector-otp': otp } : {}) },
  });
}

/** Codes used to confirm enrolments, by secret (so a test can try to replay one). */
const confirmCodes = new Map<string, string>();

/** Enrols a user through the API with the current code; returns the secret. */
async function enrol(session: Api): Promise<string> {
  const start = await session.post(M);
  expect(start.status, start.text).toBe(200);
  const secret = start.json<{ secret: string }>().secret;
  const code = currentTotpCode(secret);
  confirmCodes.set(secret, code);
  const confirm = await session.post(`${M}/confirm`, { code });
  expect(confirm.status, confirm.text).toBe(200);
  expect(confirm.json()).toEqual({ enrolled: true });
  return secret;
}

/** A code of the next time step: accepted (one step of drift) and later than the confirming one. */
const nextCode = (secret: string) => currentTotpCode(secret, Date.now() + STEP_MS);

describe('TOTP enrolment and login (issue 2)', () => {
  it('starts enrolment with a secret, an otpauth URI and a QR code, and reports the status', async () => {
    await createUserViaApi(provider, orgId, 'starter', 'vApp User');
    const s = api(t, await login(t.url, 'starter', 'acme', USER_PASSWORD));
    expect((await s.get(M)).json()).toEqual({ enrolled: false, pending: false, required: false });
    const res = await s.post(M);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = res.json();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/OpenDirector:starter%40acme\?/);
    expect(body.otpauthUri).toContain(`secret=${body.secret}`);
    expect(body.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    expect((await s.get(M)).json()).toEqual({ enrolled: false, pending: true, required: false });
    const valid = [-1, 0, 1].map((k) => currentTotpCode(body.secret, Date.now() + k * STEP_MS));
    const wrong = await s.post(`${M}/confirm`, { code: ['000000', '111111', '222222'].find((c) => !valid.includes(c)) ?? '333333' });
    expect(wrong.status).toBe(400);
    expect((await s.get(M)).json().enrolled).toBe(false);
  });

  it('asks for the code, accepts the right one once, refuses its replay, and audits', async () => {
    await createUserViaApi(provider, orgId, 'olga', 'vApp User');
    const secret = await enrol(api(t, await login(t.url, 'olga', 'acme', USER_PASSWORD)));
    const noCode = await tenantLogin('acme', 'olga');
    expect(noCode.status).toBe(401);
    expect(noCode.json()).toMatchObject({ minorErrorCode: 'SECOND_FACTOR_REQUIRED', stackTrace: null });
    // The code that confirmed the enrolment cannot be replayed at login.
    const confirmCode = confirmCodes.get(secret) ?? '';
    const code = nextCode(secret);
    if (confirmCode !== code) expect((await tenantLogin('acme', 'olga', confirmCode)).status).toBe(401);
    const ok = await tenantLogin('acme', 'olga', code);
    expect(ok.status, ok.text).toBe(200);
    const replay = await tenantLogin('acme', 'olga', code);
    expect(replay.status).toBe(401);
    // Issue 19: an already used code is told apart from a wrong one (only a caller who knew the
    // password gets this far) and does not count towards the lock-out.
    expect(replay.json()).toMatchObject({ minorErrorCode: 'SECOND_FACTOR_CODE_USED', message: expect.stringContaining('This code was already used — wait for the next one.') });
    const row = await t.server.services.db.selectFrom('users').select('totp_failures').where('username', '=', 'olga').executeTakeFirstOrThrow();
    expect(row.totp_failures).toBe(0);
    expect((await auditEvents(t, 'com/vmware/cloud/event/user/mfa/enrol')).some((e) => e.entity_name === 'olga')).toBe(true);
    expect((await auditEvents(t, 'com/vmware/cloud/event/user/mfa/failure')).some((e) => e.entity_name === 'olga')).toBe(true);
  });

  it('locks the account after five wrong codes, audits it, and an administrator can unlock', async () => {
    const id = await createUserViaApi(provider, orgId, 'pavel', 'vApp User');
    const secret = await enrol(api(t, await login(t.url, 'pavel', 'acme', USER_PASSWORD)));
    const right = nextCode(secret);
    const valid = [-1, 0, 1, 2].map((k) => currentTotpCode(secret, Date.now() + k * STEP_MS));
    const wrongCode = ['123456', '654321', '111111'].find((c) => !valid.includes(c)) ?? '000000';
    for (let i = 1; i <= 4; i++) {
      const res = await tenantLogin('acme', 'pavel', wrongCode);
      expect(res.status).toBe(401);
      expect(res.json().minorErrorCode).toBe('UNAUTHORIZED');
    }
    const fifth = await tenantLogin('acme', 'pavel', wrongCode);
    expect(fifth.status).toBe(401);
    expect(fifth.json().minorErrorCode).toBe('ACCOUNT_LOCKED');
    const withRight = await tenantLogin('acme', 'pavel', right);
    expect(withRight.json().minorErrorCode).toBe('ACCOUNT_LOCKED');
    expect((await auditEvents(t, 'com/vmware/cloud/event/user/lock')).some((e) => e.entity_id === id)).toBe(true);
    expect((await auditEvents(t, 'com/vmware/cloud/event/user/mfa/failure')).filter((e) => e.entity_id === id)).toHaveLength(5);
    const unlock = await provider.put(`${C}/users/urn:vcloud:user:${id}`, { locked: false }, inTenant(orgId));
    expect(unlock.status, unlock.text).toBe(200);
    expect((await tenantLogin('acme', 'pavel', right)).status).toBe(200);
  });

  it('refuses starting a second enrolment while enrolled, and removes the factor with a fresh code', async () => {
    await createUserViaApi(provider, orgId, 'quinn', 'vApp User');
    const secret = await enrol(api(t, await login(t.url, 'quinn', 'acme', USER_PASSWORD)));
    const s = api(t, await login(t.url, 'quinn', 'acme', USER_PASSWORD, nextCode(secret)));
    expect((await s.post(M)).status).toBe(400);
    expect((await s.del(M, { code: nextCode(secret) })).status).toBe(400); // replay of the login code
    const earlier = currentTotpCode(secret, Date.now() - STEP_MS);
    expect((await s.del(M, { code: earlier })).status).toBe(400); // an older step
    expect((await s.get(M)).json().enrolled).toBe(true);
    await t.server.services.db.updateTable('users').set({ totp_failures: 0 }).where('username', '=', 'quinn').execute();
    // Make the next step acceptable by rewinding the last accepted step (no sleeping in tests).
    await t.server.services.db.updateTable('users').set({ totp_last_step: 0 }).where('username', '=', 'quinn').execute();
    const del = await s.del(M, { code: currentTotpCode(secret) });
    expect(del.status, del.text).toBe(204);
    expect((await tenantLogin('acme', 'quinn')).status).toBe(200);
    expect((await auditEvents(t, 'com/vmware/cloud/event/user/mfa/remove')).some((e) => e.entity_name === 'quinn')).toBe(true);
  });
});

describe('org requireMfa', () => {
  it('gives an unenrolled user an enrolment-only session that can enrol but nothing else', async () => {
    const strict = await createOrgViaApi(provider, 'strict', { requireMfa: true });
    await createUserViaApi(provider, strict, 'rita');
    const first = api(t, await login(t.url, 'rita', 'strict', USER_PASSWORD));
    const denied = await first.get(`${C}/users/`);
    expect(denied.status).toBe(403);
    expect(denied.json().minorErrorCode).toBe(FORBIDDEN);
    expect((await first.get(`${C}/sessions/current`)).json().enrolmentRequired).toBe(true);
    expect((await first.get(M)).json()).toEqual({ enrolled: false, pending: false, required: true });
    const secret = await enrol(first);
    // The session stays enrolment-only; the client logs in again with a code.
    expect((await first.get(`${C}/users/`)).status).toBe(403);
    expect((await tenantLogin('strict', 'rita')).json().minorErrorCode).toBe('SECOND_FACTOR_REQUIRED');
    const full = api(t, await login(t.url, 'rita', 'strict', USER_PASSWORD, nextCode(secret)));
    expect((await full.get(`${C}/users/`)).status).toBe(200);
    const remove = await full.del(M, { code: currentTotpCode(secret, Date.now() + 2 * STEP_MS) });
    expect(remove.status).toBe(400);
    expect(remove.json().message).toContain('requires a second factor');
  });
});

describe('DELETE /cloudapi/1.0.0/users/{id}/mfa (administrator reset)', () => {
  it('clears the factor so the user logs in with the password alone', async () => {
    const id = await createUserViaApi(provider, orgId, 'sam', 'vApp User');
    await enrol(api(t, await login(t.url, 'sam', 'acme', USER_PASSWORD)));
    expect((await tenantLogin('acme', 'sam')).status).toBe(401);
    await createUserViaApi(provider, orgId, 'nobody', 'vApp User');
    const nobody = api(t, await login(t.url, 'nobody', 'acme', USER_PASSWORD));
    expect((await nobody.del(`${C}/users/urn:vcloud:user:${id}/mfa`)).status).toBe(403);
    const reset = await provider.del(`${C}/users/urn:vcloud:user:${id}/mfa`, undefined, inTenant(orgId));
    expect(reset.status, reset.text).toBe(204);
    expect((await tenantLogin('acme', 'sam')).status).toBe(200);
  });
});

describe('token-derived sessions', () => {
  it('can neither read nor change any second factor', async () => {
    const admin = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, admin, 'System', 'mfa-automation');
    const auto = api(t, await exchange(t.url, 'System', token));
    const sam = await t.server.services.db.selectFrom('users').select('id').where('username', '=', 'sam').executeTakeFirstOrThrow();
    for (const res of [
      await auto.get(M), await auto.post(M), await auto.post(`${M}/confirm`, { code: '123456' }), await auto.del(M, { code: '123456' }),
      await auto.del(`${C}/users/urn:vcloud:user:${sam.id}/mfa`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.json().message).toContain('This operation is not allowed in a session created from an API token.');
    }
  });
});

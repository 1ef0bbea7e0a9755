import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';

/** `od_session=<value>` from a Set-Cookie header. */
function cookieOf(setCookie: string | null): string {
  const m = /^od_session=([^;]*)/.exec(setCookie ?? '');
  expect(m, `Set-Cookie: ${setCookie}`).not.toBeNull();
  return m?.[1] ?? '';
}

async function portalSession(url: string, accessToken: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await request(url, 'POST', '/portal/session', { headers: { ...bearer(accessToken), accept: 'application/json;version=39.1' } });
  expect(res.status, res.text).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: cookieOf(setCookie), csrf: res.json<{ csrfToken: string }>().csrfToken, setCookie };
}

const CURRENT = '/cloudapi/1.0.0/sessions/current';

describe('portal cookie sessions and CSRF (issue 4)', () => {
  let srv: TestServer;
  let adminToken: string;
  beforeAll(async () => {
    srv = await startTestServer();
    adminToken = await loginAdmin(srv.url);
  });
  afterAll(async () => srv?.close());

  it('turns a fresh access token into an HttpOnly, SameSite=Strict cookie and a CSRF token', async () => {
    const { cookie, csrf, setCookie } = await portalSession(srv.url, adminToken);
    expect(cookie).toBe(adminToken);
    expect(setCookie).toMatch(/^od_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('authenticates a cookie request only together with its CSRF header, for every method', async () => {
    const { cookie, csrf } = await portalSession(srv.url, adminToken);
    const ok = await request(srv.url, 'GET', CURRENT, { headers: { cookie: `od_session=${cookie}`, 'x-opendirector-csrf': csrf } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ user: { name: 'administrator' }, org: { name: 'System' } });
    expect(ok.json<{ rights: string[] }>().rights).toContain('API Tokens: Manage');

    const noCsrf = await request(srv.url, 'GET', CURRENT, { headers: { cookie: `od_session=${cookie}` } });
    expect(noCsrf.status).toBe(401);
    expect(noCsrf.json()).toMatchObject({ minorErrorCode: 'UNAUTHORIZED' });
    const wrongCsrf = await request(srv.url, 'GET', CURRENT, { headers: { cookie: `od_session=${cookie}`, 'x-opendirector-csrf': `${csrf.slice(0, -2)}AA` } });
    expect(wrongCsrf.status).toBe(401);
    // A state-changing call with the cookie alone (what a cross-site form would send) does nothing.
    const register = await request(srv.url, 'POST', '/oauth/provider/register', { headers: { cookie: `od_session=${cookie}` }, json: { client_name: 'forged' } });
    expect(register.status).toBe(401);
    const tokens = await request(srv.url, 'GET', '/cloudapi/1.0.0/tokens/', { headers: { ...bearer(adminToken), accept: 'application/json;version=39.1' } });
    expect(tokens.json<{ values: { name: string }[] }>().values.map((t) => t.name)).not.toContain('forged');
  });

  it('refuses the CSRF token of one session with the cookie of another', async () => {
    const a = await portalSession(srv.url, adminToken);
    const b = await portalSession(srv.url, await loginAdmin(srv.url));
    expect(a.csrf).not.toBe(b.csrf);
    const res = await request(srv.url, 'GET', CURRENT, { headers: { cookie: `od_session=${a.cookie}`, 'x-opendirector-csrf': b.csrf } });
    expect(res.status).toBe(401);
  });

  it('keeps header credentials first: a bearer header wins over a cookie', async () => {
    const other = await loginAdmin(srv.url);
    const res = await request(srv.url, 'GET', CURRENT, { headers: { ...bearer(other), cookie: 'od_session=garbage' } });
    expect(res.status).toBe(200);
  });

  it('gives the CSRF token back after a reload (cookie only) and drops a dead cookie', async () => {
    const token = await loginAdmin(srv.url);
    const { cookie, csrf } = await portalSession(srv.url, token);
    const again = await request(srv.url, 'GET', '/portal/session', { headers: { cookie: `od_session=${cookie}` } });
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(again.json()).toEqual({ csrfToken: csrf });

    const none = await request(srv.url, 'GET', '/portal/session');
    expect(none.status).toBe(401);
    expect(none.headers.get('set-cookie')).toBeNull();

    expect((await request(srv.url, 'DELETE', CURRENT, { headers: { cookie: `od_session=${cookie}`, 'x-opendirector-csrf': csrf } })).status).toBe(204);
    const dead = await request(srv.url, 'GET', '/portal/session', { headers: { cookie: `od_session=${cookie}` } });
    expect(dead.status).toBe(401);
    expect(dead.headers.get('set-cookie')).toBe('od_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
  });

  it('returns the session access token for the jwt-bearer mint only with the CSRF header', async () => {
    const token = await loginAdmin(srv.url);
    const { cookie, csrf } = await portalSession(srv.url, token);
    const refused = await request(srv.url, 'POST', '/portal/session/assertion', { headers: { cookie: `od_session=${cookie}` } });
    expect(refused.status).toBe(401);
    const res = await request(srv.url, 'POST', '/portal/session/assertion', { headers: { cookie: `od_session=${cookie}`, 'x-opendirector-csrf': csrf } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json()).toEqual({ accessToken: token });
    const viaBearer = await request(srv.url, 'POST', '/portal/session/assertion', { headers: bearer(token) });
    expect(viaBearer.status).toBe(400);
  });

  it('removes the cookie on DELETE /portal/session', async () => {
    const res = await request(srv.url, 'DELETE', '/portal/session');
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBe('od_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
  });

  it('refuses to turn a session minted from an API token into a portal cookie', async () => {
    const { token } = await createApiToken(srv.url, adminToken, 'System', 'portal-cookie-test');
    const derived = await exchange(srv.url, 'System', token);
    const res = await request(srv.url, 'POST', '/portal/session', { headers: bearer(derived) });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses POST /portal/session without a bearer token, or with a dead one', async () => {
    expect((await request(srv.url, 'POST', '/portal/session')).status).toBe(401);
    expect((await request(srv.url, 'POST', '/portal/session', { headers: bearer('not-a-token') })).status).toBe(401);
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    const https = await startTestServer({ publicUrl: 'https://portal.example.net' });
    try {
      const url = `http://127.0.0.1:${(https.server.app.server.address() as AddressInfo).port}`;
      const token = await login(url, 'administrator', 'System', 'admin-Passw0rd!');
      const { setCookie } = await portalSession(url, token);
      expect(setCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await https.close();
    }
  });
});

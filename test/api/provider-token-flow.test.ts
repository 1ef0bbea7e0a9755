import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, loginAdmin } from '../support/flows.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('provider API token flow (seed 001)', () => {
  it('lists 37.0 with the cloudapi LoginUrl in /api/versions', async () => {
    const res = await request(t.url, 'GET', '/api/versions');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Version>37.0</Version>');
    expect(res.text).toContain(`<LoginUrl>${t.url}/cloudapi/1.0.0/sessions</LoginUrl>`);
    expect(res.text).not.toContain('<Version>40.0</Version>');
  });

  it('creates a token once, exchanges it, uses it on /api/session, and refuses it after revocation', async () => {
    const session = await loginAdmin(t.url);
    const { id, token } = await createApiToken(t.url, session, 'System', 'ci-pipeline');
    expect(token).toMatch(/^odt_[A-Za-z0-9]+$/);
    const access = await exchange(t.url, 'System', token);
    expect(access.length).toBeGreaterThan(32);
    const s = await request(t.url, 'GET', '/api/session', { headers: { ...bearer(access), accept: 'application/*+xml;version=36.1' } });
    expect(s.status, s.text).toBe(200);
    expect(s.text).toContain('user="administrator"');
    const del = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(session) });
    expect(del.status, del.text).toBe(204);
    const after = await request(t.url, 'GET', '/api/session', { headers: bearer(access) });
    expect(after.status).toBe(401);
    const again = await request(t.url, 'POST', '/oauth/provider/token', { body: `grant_type=refresh_token&refresh_token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.status).toBe(400);
    expect(again.json()).toEqual({ minorErrorCode: 'invalid_grant', message: 'Invalid refresh token', stackTrace: null, error: 'invalid_grant', error_description: 'Invalid refresh token' });
  });
});

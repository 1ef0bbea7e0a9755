import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { basic, bearer, request } from '../../support/http-client.ts';
import { loginAdmin } from '../../support/flows.ts';

/**
 * RFC 6750 §3 (issue 15 §4): every 401 of the bearer-protected families carries a Bearer
 * challenge, the same in XML, CloudAPI and the OAuth register endpoint; with `invalid_token` only
 * when an access token was presented.
 */
let t: TestServer;
let revoked: string;
beforeAll(async () => {
  t = await startTestServer();
  revoked = await loginAdmin(t.url);
  expect((await request(t.url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: bearer(revoked) })).status).toBe(204);
});
afterAll(async () => {
  await t?.close();
});

const XML = { accept: 'application/*+xml;version=37.0' };
const JSON_V = { accept: 'application/json;version=37.0' };
/** RFC 6750 §3: `Bearer` then auth-params; error_description limited to %x20-21 / %x23-5B / %x5D-7E. */
const INVALID_TOKEN = /^Bearer realm="vcloud", error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]+"$/;

const endpoints: [string, string, string, Record<string, string>][] = [
  ['CloudAPI', 'GET', '/cloudapi/1.0.0/sessions/current', JSON_V],
  ['CloudAPI list', 'GET', '/cloudapi/1.0.0/tokens', JSON_V],
  ['XML', 'GET', '/api/session', XML],
  ['OAuth register', 'POST', '/oauth/provider/register', { 'content-type': 'application/json' }],
];

describe('WWW-Authenticate on 401 (RFC 6750 §3)', () => {
  it.each(endpoints)('%s: a bare challenge without credentials', async (_name, method, path, headers) => {
    const res = await request(t.url, method, path, { headers, ...(method === 'POST' ? { body: '{"client_name":"x"}' } : {}) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="vcloud"');
  });

  it.each(endpoints)('%s: invalid_token for an ended, a forged and a garbage access token, in every header clients use', async (_name, method, path, headers) => {
    const presented = [
      bearer(revoked),
      bearer(`${revoked.slice(0, -4)}AAAA`),
      { authorization: 'Bearer not-a-token' },
      { 'x-vmware-vcloud-access-token': revoked },
      { 'x-vcloud-authorization': '0123456789abcdef0123456789abcdef' },
    ];
    for (const cred of presented) {
      const res = await request(t.url, method, path, { headers: { ...headers, ...cred }, ...(method === 'POST' ? { body: '{"client_name":"x"}' } : {}) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(INVALID_TOKEN);
    }
  });

  it('answers a failed password login with a Bearer challenge, never Basic (a browser would open its own dialog)', async () => {
    for (const path of ['/cloudapi/1.0.0/sessions/provider', '/api/sessions']) {
      const res = await request(t.url, 'POST', path, { headers: { authorization: basic('administrator', 'System', 'wrong-password'), ...JSON_V, ...XML } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="vcloud"');
    }
  });

  it('leaves successful and non-401 answers without a challenge', async () => {
    const session = await loginAdmin(t.url);
    const ok = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(session), ...JSON_V } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('www-authenticate')).toBeNull();
    const forbidden = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens/urn:vcloud:token:nope', { headers: { ...bearer(session), ...JSON_V } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toBeNull();
  });
});

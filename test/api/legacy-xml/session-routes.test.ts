import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../support/test-server.ts';
import { basic, bearer, request } from '../../support/http-client.ts';
import { loginAdmin } from '../../support/flows.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function legacyLogin(): Promise<string> {
  const res = await request(t.url, 'POST', '/api/sessions', {
    headers: { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/*+xml;version=33.0' },
  });
  expect(res.status, res.text).toBe(200);
  const legacy = res.headers.get('x-vcloud-authorization');
  expect(legacy).toMatch(/^[0-9a-f]{32}$/);
  return legacy as string;
}

describe('GET /api/session (spec §3.3)', () => {
  it('echoes x-vcloud-authorization when rehydrated with a legacy token, as pyvcloud up to 21 reads it unconditionally', async () => {
    const legacy = await legacyLogin();
    const res = await request(t.url, 'GET', '/api/session', {
      headers: { 'x-vcloud-authorization': legacy, accept: 'application/*+xml;version=33.0' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.session+xml;version=33.0');
    expect(res.headers.get('x-vcloud-authorization')).toBe(legacy);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('org="System"');
  });

  it('does not invent an x-vcloud-authorization header for a bearer session', async () => {
    const access = await loginAdmin(t.url);
    const res = await request(t.url, 'GET', '/api/session', { headers: { ...bearer(access), accept: 'application/*+xml;version=36.0' } });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('x-vcloud-authorization')).toBeNull();
  });

  it('still refuses an unknown legacy token with 401 and no echo', async () => {
    const res = await request(t.url, 'GET', '/api/session', { headers: { 'x-vcloud-authorization': 'f'.repeat(32) } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-vcloud-authorization')).toBeNull();
  });
});

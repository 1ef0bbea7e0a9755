import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { request } from '../../support/http-client.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** Seed 001 shows X-VMWARE-VCLOUD-REQUEST-EXECUTION-TIME; the seed facts ask for it, and the request id, on every response. */
describe('response headers on every response (spec §1.4, seed 001)', () => {
  const cases: Array<[string, string, string, number]> = [
    ['a served route', 'GET', '/api/versions', 200],
    ['an unknown CloudAPI path', 'GET', '/cloudapi/1.0.0/nothing-here', 404],
    ['an unauthenticated XML call', 'GET', '/api/session', 401],
    ['a path that is not valid percent-encoded UTF-8', 'GET', '/api/vApp/%E0%80%80', 400],
  ];
  for (const [what, method, path, status] of cases) {
    it(`sends the request id and the execution time on ${what}`, async () => {
      const res = await request(t.url, method, path);
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('x-vmware-vcloud-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-vmware-vcloud-request-execution-time')).toMatch(/^\d+$/);
    });
  }
});

/** Spec §6.3 lists METHOD_NOT_ALLOWED (405): a known path asked with a method it does not serve. */
describe('a known path with a method it does not serve', () => {
  it('answers 405 in the CloudAPI error shape with an Allow header naming the served methods', async () => {
    const res = await request(t.url, 'PUT', '/cloudapi/1.0.0/tokens/', { headers: { accept: 'application/json;version=37.0' } });
    expect(res.status, res.text).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.json()).toMatchObject({ minorErrorCode: 'METHOD_NOT_ALLOWED', stackTrace: null });
    // A path with a parameter, and the XML and OAuth families, each in their own error shape.
    const item = await request(t.url, 'PATCH', '/cloudapi/1.0.0/tokens/urn:vcloud:token:7c0e0c0e-0000-4000-8000-000000000000');
    expect(item.status).toBe(405);
    expect(item.headers.get('allow')).toBe('GET, HEAD, DELETE');
    const xml = await request(t.url, 'PUT', '/api/session', { headers: { accept: 'application/*+xml;version=37.0' } });
    expect(xml.status).toBe(405);
    expect(xml.text).toContain('minorErrorCode="METHOD_NOT_ALLOWED"');
    const oauth = await request(t.url, 'GET', '/oauth/provider/token');
    expect(oauth.status).toBe(405);
    expect(oauth.headers.get('allow')).toBe('POST');
    expect(oauth.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('still answers 404 for a path nothing serves', async () => {
    const res = await request(t.url, 'PUT', '/cloudapi/1.0.0/nothing-here/');
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});

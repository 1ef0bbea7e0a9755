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

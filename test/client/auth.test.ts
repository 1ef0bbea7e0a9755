import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeApiToken, fromApiToken, OAuthError, OpenDirectorError } from '../../src/client/index.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { bearer, request } from '../support/http-client.ts';
import { recordingFetch } from './recording-fetch.fixture.ts';

const TTL_SECONDS = 30;
const EXCHANGE = '/oauth/provider/token';
const CURRENT = '/cloudapi/1.0.0/sessions/current';

let t: TestServer;
let adminSession: string;
let n = 0;
/** A fresh API token of administrator@System per test (some tests revoke theirs). */
const newApiToken = async () => createApiToken(t.url, adminSession, 'System', `renewal-${++n}`);

beforeAll(async () => {
  // A short lifetime keeps the numbers readable; time itself moves through the injected clock.
  t = await startTestServer({ accessTokenTtlSeconds: TTL_SECONDS });
  adminSession = await loginAdmin(t.url);
});
afterAll(async () => {
  await t?.close();
});

describe('access tokens minted from an API token', () => {
  it('carry the configured lifetime in expires_in', async () => {
    const res = await exchangeApiToken({ url: t.url, org: 'System', apiToken: (await newApiToken()).token });
    expect(res).toMatchObject({ token_type: 'Bearer', expires_in: TTL_SECONDS });
  });

  it('are renewed once 90% of expires_in has passed, before any request fails', async () => {
    let now = Date.now();
    const rec = recordingFetch();
    const od = await fromApiToken({ url: t.url, org: 'System', apiToken: (await newApiToken()).token, fetch: rec.fetch, now: () => now });
    const first = await od.accessToken();
    await od.sessions.current();
    now += 26_900; // 89.7% of 30 s
    await od.sessions.current();
    expect(rec.count('POST', EXCHANGE)).toBe(1);
    expect(await od.accessToken()).toBe(first);
    now += 200; // 90.3%
    await od.sessions.current();
    expect(rec.count('POST', EXCHANGE)).toBe(2);
    expect(await od.accessToken()).not.toBe(first);
    expect(rec.calls.filter((c) => c.status === 401)).toEqual([]);
  });

  it('are renewed by one exchange shared among concurrent requests', async () => {
    let now = Date.now();
    const rec = recordingFetch();
    const od = await fromApiToken({ url: t.url, org: 'System', apiToken: (await newApiToken()).token, fetch: rec.fetch, now: () => now });
    now += 28_000;
    await Promise.all([1, 2, 3, 4, 5].map(() => od.sessions.current()));
    expect(rec.count('POST', EXCHANGE)).toBe(2);
    expect(rec.count('GET', CURRENT)).toBe(5);
  });

  it('are renewed once after a 401 (the session was ended server-side) and the request is retried once', async () => {
    const rec = recordingFetch();
    const od = await fromApiToken({ url: t.url, org: 'System', apiToken: (await newApiToken()).token, fetch: rec.fetch });
    const ended = await od.accessToken();
    const del = await request(t.url, 'DELETE', CURRENT, { headers: bearer(ended) });
    expect(del.status).toBe(204);
    expect(await od.sessions.current()).toMatchObject({ user: { name: 'administrator' } });
    expect(rec.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `POST ${EXCHANGE} 200`, `GET ${CURRENT} 401`, `POST ${EXCHANGE} 200`, `GET ${CURRENT} 200`,
    ]);
    expect(await od.accessToken()).not.toBe(ended);
  });

  it('never loop: a request refused again after the renewal fails with that 401', async () => {
    const rec = recordingFetch((path, res) => (path.startsWith('/cloudapi/') ? new Response(
      JSON.stringify({ minorErrorCode: 'UNAUTHORIZED', message: '[ x ] Authentication required.', stackTrace: null }),
      { status: 401, headers: { 'content-type': 'application/json' } },
    ) : res));
    const od = await fromApiToken({ url: t.url, org: 'System', apiToken: (await newApiToken()).token, fetch: rec.fetch });
    const err = await od.sessions.current().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenDirectorError);
    expect(err).toMatchObject({ status: 401, minorErrorCode: 'UNAUTHORIZED', message: 'Authentication required.' });
    expect(rec.count('POST', EXCHANGE)).toBe(2);
    expect(rec.count('GET', CURRENT)).toBe(2);
  });

  it('stop at a revoked API token: the single renewal fails with invalid_grant', async () => {
    const { id, token } = await newApiToken();
    const rec = recordingFetch();
    const od = await fromApiToken({ url: t.url, org: 'System', apiToken: token, fetch: rec.fetch });
    const del = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(adminSession) });
    expect(del.status).toBe(204);
    const err = await od.sessions.current().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ error: 'invalid_grant', status: 400, message: 'Invalid refresh token' });
    expect(rec.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `POST ${EXCHANGE} 200`, `GET ${CURRENT} 401`, `POST ${EXCHANGE} 400`,
    ]);
  });
});

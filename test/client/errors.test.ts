import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeApiToken, fromAccessToken, login, OAuthError, OpenDirectorConnectionError, OpenDirectorError, UnexpectedAnswerError,
} from '../../src/client/index.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { recordingFetch } from './recording-fetch.fixture.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('typed errors', () => {
  it('turns a CloudAPI error into an OpenDirectorError with status, minorErrorCode, the bare message and the request id', async () => {
    const rec = recordingFetch();
    const admin = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD, fetch: rec.fetch });
    const err = await admin.tokens.get(randomUUID()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenDirectorError);
    expect(err).not.toBeInstanceOf(OAuthError);
    const requestId = rec.calls.at(-1)?.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err).toMatchObject({
      status: 403, minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', requestId, method: 'GET',
      message: 'Either you need some or all of the following rights to perform this operation or the target entity is invalid.',
    });
  });

  it('parses the XML Error of the /api family', async () => {
    const od = fromAccessToken({ url: t.url, org: 'System', accessToken: 'x'.repeat(64) });
    const err = await od.request('GET', '/api/session').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenDirectorError);
    expect(err).toMatchObject({ status: 401, minorErrorCode: 'UNAUTHORIZED', requestId: expect.any(String) });
    expect((err as Error).message).not.toMatch(/^\[/);
  });

  it('gives OAuth failures the RFC 6749 error name (OAuthError)', async () => {
    const err = await exchangeApiToken({ url: t.url, org: 'acme', apiToken: 'odt_unknown' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ error: 'invalid_grant', minorErrorCode: 'invalid_grant', status: 400, message: 'Invalid refresh token' });
  });

  it('refuses a wrong password with 401 and asks for the second factor with SECOND_FACTOR_REQUIRED', async () => {
    await expect(login({ url: t.url, org: 'System', user: 'administrator', password: 'wrong-password' }))
      .rejects.toMatchObject({ status: 401, minorErrorCode: 'UNAUTHORIZED', message: 'Invalid credentials.' });
    const secret = newTotpSecret();
    await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1 }).where('username', '=', 'administrator').execute();
    try {
      await expect(login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD }))
        .rejects.toMatchObject({ status: 401, minorErrorCode: 'SECOND_FACTOR_REQUIRED' });
      const od = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD, totp: currentTotpCode(secret) });
      expect((await od.sessions.current()).user.name).toBe('administrator');
    } finally {
      await t.server.services.db.updateTable('users').set({ totp_secret: null, totp_enabled: 0 }).where('username', '=', 'administrator').execute();
    }
  });

  it('reports a server that does not answer as OpenDirectorConnectionError (ECONNREFUSED)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await exchangeApiToken({ url, org: 'System', apiToken: 'odt_x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenDirectorConnectionError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', url, message: `Cannot reach ${url}: connection refused (is the server running?)` });
  });

  it('refuses a URL that is not http(s) before sending anything', () => {
    expect(() => fromAccessToken({ url: 'ftp://vcd.example.net', org: 'acme', accessToken: 'x' })).toThrow(/Not an http\(s\) URL/);
  });

  it('reports a 2xx answer that is not JSON (a URL pointing at some other web server) as UnexpectedAnswerError, not a SyntaxError', async () => {
    const html = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Portal</title>');
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(html.address() as net.AddressInfo).port}/portal`;
    try {
      const od = fromAccessToken({ url, org: 'acme', accessToken: 'x'.repeat(64) });
      const current = await od.sessions.current().catch((e: unknown) => e);
      expect(current).toBeInstanceOf(UnexpectedAnswerError);
      expect(current).toBeInstanceOf(OpenDirectorError);
      expect(current).toMatchObject({
        status: 200, minorErrorCode: null, method: 'GET', url: `${url}/cloudapi/1.0.0/sessions/current`,
        message: `Unexpected answer from GET ${url}/cloudapi/1.0.0/sessions/current: not JSON (text/html; charset=utf-8) (is this an OpenDirector or Cloud Director server?)`,
      });
      await expect(od.tokens.list()).rejects.toBeInstanceOf(UnexpectedAnswerError);
    } finally {
      await new Promise<void>((resolve) => html.close(() => resolve()));
    }
  });

  it('keeps the server\'s Retry-After of a 429 in retryAfterSeconds, on logins and on API token exchanges', async () => {
    const limited = await startTestServer({ rateLimitPerMinute: 2 });
    try {
      const wrongLogin = () => login({ url: limited.url, org: 'System', user: 'administrator', password: 'wrong-password' }).catch((e: unknown) => e);
      expect(await wrongLogin()).toMatchObject({ status: 401, retryAfterSeconds: null });
      await wrongLogin();
      const throttled = await wrongLogin();
      expect(throttled).toBeInstanceOf(OpenDirectorError);
      expect(throttled).toMatchObject({ status: 429, minorErrorCode: 'TOO_MANY_REQUESTS', retryAfterSeconds: expect.any(Number) });
      expect((throttled as OpenDirectorError).retryAfterSeconds).toBeGreaterThan(0);
      const exchange = () => exchangeApiToken({ url: limited.url, org: 'System', apiToken: 'odt_unknown' }).catch((e: unknown) => e);
      await exchange();
      await exchange();
      const slowDown = await exchange();
      expect(slowDown).toBeInstanceOf(OAuthError);
      expect(slowDown).toMatchObject({ status: 429, retryAfterSeconds: expect.any(Number) });
    } finally {
      await limited.close();
    }
  });
});

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

let t: TestServer;
let configDir: string;
let apiToken: string;
const cli = (args: string[], env?: Record<string, string>, input?: string) =>
  runCli(args, { configDir, ...(env ? { env } : {}), ...(input !== undefined ? { input } : {}) });

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
  apiToken = (await createApiToken(t.url, await loginAdmin(t.url), 'System', 'cli-errors')).token;
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// Subprocesses start tsx (~1 s each, more on a busy machine): allow for it.
describe('errors are one readable line with a documented exit code', { timeout: 120_000 }, () => {
  it('a wrong org at login: the server message, its code, HTTP status, a hint; exit 3', async () => {
    const r = await cli(['login', '--url', t.url, '--org', 'nosuch', '--user', 'administrator', '--password-stdin'], undefined, `${ADMIN_PASSWORD}\n`);
    expect(r).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: Invalid credentials. (UNAUTHORIZED, HTTP 401) — check the user name, organization and password.\n',
    });
  });

  it('an API token presented at another org\'s endpoint (OPENDIRECTOR_* variables): exit 3', async () => {
    const r = await cli(['token', 'exchange'], { OPENDIRECTOR_URL: t.url, OPENDIRECTOR_ORG: 'acme', OPENDIRECTOR_API_TOKEN: apiToken });
    expect(r).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: Invalid refresh token (invalid_grant, HTTP 400) — the API token is unknown, revoked, or not a token of org "acme".\n',
    });
  });

  it('a URL where nothing listens: exit 6', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['api', 'GET', '/api/org', '--url', url, '--org', 'System'], { OPENDIRECTOR_API_TOKEN: apiToken });
    expect(r).toEqual({ code: 6, stdout: '', stderr: `opendirector: Cannot reach ${url}: connection refused (is the server running?)\n` });
  });

  it('a server that went down after login: exit 6', async () => {
    const other = await startTestServer();
    const dir = tempConfigDir();
    try {
      const login = await runCli(['login', '--url', other.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], { configDir: dir, input: `${ADMIN_PASSWORD}\n` });
      expect(login.code, login.stderr).toBe(0);
      await other.close();
      const r = await runCli(['token', 'list'], { configDir: dir });
      expect(r).toEqual({ code: 6, stdout: '', stderr: `opendirector: Cannot reach ${other.url}: connection refused (is the server running?)\n` });
    } finally {
      await other.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a forbidden object: the server message with ACCESS_TO_RESOURCE_IS_FORBIDDEN; exit 4', async () => {
    const r = await cli(['api', 'GET', '/cloudapi/1.0.0/tokens/urn:vcloud:token:00000000-0000-4000-8000-000000000000'], {
      OPENDIRECTOR_URL: t.url, OPENDIRECTOR_ORG: 'System', OPENDIRECTOR_API_TOKEN: apiToken,
    });
    expect(r).toEqual({
      code: 4, stdout: '',
      // A session made from an API token reaches only its own token (spec §8.2, issue 15 §3).
      stderr: 'opendirector: This operation is not allowed in a session created from an API token. (ACCESS_TO_RESOURCE_IS_FORBIDDEN, HTTP 403)\n',
    });
  });

  it('no server configured, and a missing argument: usage errors, exit 2', async () => {
    expect(await cli(['whoami'])).toEqual({
      code: 2, stdout: '', stderr: 'opendirector: No server: pass --url, set OPENDIRECTOR_URL, or run `opendirector login` first\n',
    });
    expect(await cli(['token', 'create'])).toEqual({
      code: 2, stdout: '', stderr: 'opendirector: missing required argument \'name\'\n(run the command with --help for usage and examples)\n',
    });
  });

  it('a wrong TOTP code: the hint names the code too, not only the password; exit 3', async () => {
    const secret = newTotpSecret();
    await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1 }).where('username', '=', 'administrator').execute();
    try {
      const wrong = String((Number(currentTotpCode(secret)) + 500_000) % 1_000_000).padStart(6, '0');
      const r = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin', '--profile', 'totp'], undefined, `${ADMIN_PASSWORD}\n${wrong}\n`);
      expect(r).toEqual({
        code: 3, stdout: '',
        stderr: 'opendirector: Invalid credentials. (UNAUTHORIZED, HTTP 401) — check the user name, organization, password and TOTP code (a code is valid for 30 s).\n',
      });
    } finally {
      await t.server.services.db.updateTable('users').set({ totp_secret: null, totp_enabled: 0, totp_failures: 0 }).where('username', '=', 'administrator').execute();
    }
  });

  it('a TOTP code already used: says so and to wait for the next one, uncounted (issue 19); exit 3', async () => {
    const secret = newTotpSecret();
    // The code of the current step was already used: the last accepted step is this one or later.
    const usedStep = Math.floor(Date.now() / 30_000) + 1;
    await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1, totp_last_step: usedStep, totp_failures: 0 })
      .where('username', '=', 'administrator').execute();
    try {
      const r = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin', '--profile', 'totp-used'], undefined,
        `${ADMIN_PASSWORD}\n${currentTotpCode(secret)}\n`);
      expect(r).toEqual({
        code: 3, stdout: '',
        stderr: 'opendirector: This code was already used — wait for the next one. (SECOND_FACTOR_CODE_USED, HTTP 401) — wait for the next code (a new one every 30 s) and log in again with it; this attempt did not count as a failure.\n',
      });
      const row = await t.server.services.db.selectFrom('users').select('totp_failures').where('username', '=', 'administrator').executeTakeFirstOrThrow();
      expect(row.totp_failures).toBe(0);
    } finally {
      await t.server.services.db.updateTable('users').set({ totp_secret: null, totp_enabled: 0, totp_failures: 0, totp_last_step: 0 }).where('username', '=', 'administrator').execute();
    }
  });

  it('too many failed logins: the server\'s Retry-After in the message; exit 1', async () => {
    const limited = await startTestServer({ rateLimitPerMinute: 1 });
    const dir = tempConfigDir();
    try {
      const args = ['login', '--url', limited.url, '--org', 'System', '--user', 'administrator', '--password-stdin'];
      expect((await runCli(args, { configDir: dir, input: 'wrong-password\n' })).code).toBe(3);
      const r = await runCli(args, { configDir: dir, input: 'wrong-password\n' });
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toMatch(/^opendirector: Too many attempts\. Try again later\. \(TOO_MANY_REQUESTS, HTTP 429\) — wait \d+ s before trying again\.\n$/);
    } finally {
      await limited.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TLS failures say what to do: an untrusted certificate (NODE_EXTRA_CA_CERTS), https:// to a plain-http port; exit 6', async () => {
    const certDir = fs.mkdtempSync(path.join(configDir, 'tls-'));
    const certFile = path.join(certDir, 'cert.pem');
    const keyFile = path.join(certDir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tls = await startTestServer({ tlsCertFile: certFile, tlsKeyFile: keyFile });
    try {
      const untrusted = await cli(['whoami', '--url', tls.url, '--org', 'System'], { OPENDIRECTOR_API_TOKEN: apiToken });
      expect(untrusted).toEqual({
        code: 6, stdout: '',
        stderr: `opendirector: Cannot reach ${tls.url}: TLS error (DEPTH_ZERO_SELF_SIGNED_CERT) — the server's certificate is not trusted: `
          + 'if a private CA signed it, set NODE_EXTRA_CA_CERTS to that CA\'s PEM file.\n',
      });
      const trusted = await cli(['token', 'exchange', '--url', tls.url, '--org', 'System'], { OPENDIRECTOR_API_TOKEN: apiToken, NODE_EXTRA_CA_CERTS: certFile });
      // Trusted now: the TLS handshake passes and the server answers (this token belongs to the other server).
      expect(trusted.stderr).toContain('invalid_grant');
      const httpsToPlain = t.url.replace('http:', 'https:');
      const wrongScheme = await cli(['whoami', '--url', httpsToPlain, '--org', 'System'], { OPENDIRECTOR_API_TOKEN: apiToken });
      expect(wrongScheme).toEqual({
        code: 6, stdout: '',
        stderr: `opendirector: Cannot reach ${httpsToPlain}: TLS error (ERR_SSL_WRONG_VERSION_NUMBER) — the server does not speak TLS on this port: try http:// instead of https://.\n`,
      });
    } finally {
      await tls.close();
    }
  });

  it('a URL that reaches some other web server: "unexpected answer", not a JSON parser message', async () => {
    const html = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Portal</title>');
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(html.address() as net.AddressInfo).port}`;
    try {
      const r = await cli(['whoami', '--url', url, '--org', 'System'], { OPENDIRECTOR_ACCESS_TOKEN: 'x'.repeat(64) });
      expect(r).toEqual({
        code: 1, stdout: '',
        stderr: `opendirector: Unexpected answer from GET ${url}/cloudapi/1.0.0/sessions/current: not JSON (text/html) (is this an OpenDirector or Cloud Director server?) (HTTP 200)\n`,
      });
    } finally {
      await new Promise<void>((resolve) => html.close(() => resolve()));
    }
  });

  it('api with an absolute URL off the server: refused before sending credentials, a usage error (exit 2)', async () => {
    const r = await cli(['api', 'GET', 'https://elsewhere.example/api/org', '--url', t.url, '--org', 'System'], { OPENDIRECTOR_API_TOKEN: apiToken });
    expect(r).toEqual({
      code: 2, stdout: '',
      stderr: `opendirector: Refusing to send credentials to https://elsewhere.example/api/org: it is not under ${t.url}\n`,
    });
  });

  it('logout while the server is down: the credentials are forgotten, and the message says the session was not ended; exit 6', async () => {
    const other = await startTestServer();
    const dir = tempConfigDir();
    try {
      const login = await runCli(['login', '--url', other.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], { configDir: dir, input: `${ADMIN_PASSWORD}\n` });
      expect(login.code, login.stderr).toBe(0);
      await other.close();
      const r = await runCli(['logout'], { configDir: dir });
      expect(r).toEqual({
        code: 6, stdout: '',
        stderr: 'opendirector: Forgot the credentials of profile "default", but the session on the server was not ended (it stays valid until it expires): '
          + `Cannot reach ${other.url}: connection refused (is the server running?)\n`,
      });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'profiles', 'default.secrets.json'), 'utf8'))).toEqual({});
      expect(await runCli(['logout'], { configDir: dir })).toEqual({ code: 0, stdout: 'Not logged in (profile "default").\n', stderr: '' });
    } finally {
      await other.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server error (5xx) carries the request id to quote to the server\'s operator; exit 7', async () => {
    const failing = http.createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json;version=37.0', 'x-vmware-vcloud-request-id': 'a1b2c3d4-0000-4000-8000-000000000001' })
        .end('{"minorErrorCode":"INTERNAL_SERVER_ERROR","message":"[ a1b2c3d4-0000-4000-8000-000000000001 ] Internal server error.","stackTrace":null}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}`;
    try {
      const r = await cli(['whoami', '--url', url, '--org', 'System'], { OPENDIRECTOR_ACCESS_TOKEN: 'x'.repeat(64) });
      expect(r).toEqual({
        code: 7, stdout: '',
        stderr: 'opendirector: Internal server error. (INTERNAL_SERVER_ERROR, HTTP 500, request id a1b2c3d4-0000-4000-8000-000000000001)\n',
      });
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});

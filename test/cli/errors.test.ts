import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
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
      stderr: 'opendirector: Either you need some or all of the following rights to perform this operation or the target entity is invalid. (ACCESS_TO_RESOURCE_IS_FORBIDDEN, HTTP 403)\n',
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
});

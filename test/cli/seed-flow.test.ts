import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

let t: TestServer;
let configDir: string;
const cli = (args: string[], input?: string) => runCli(args, { configDir, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// Subprocesses start tsx (~1 s each, more on a busy machine): allow for it.
describe('the seed flow from the command line (seeds 001, 002)', { timeout: 120_000 }, () => {
  it('logs in, creates a token into a 0600 token file, lists, exchanges, calls /api/org, revokes, and then refuses it with exit code 3', async () => {
    const login = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
    expect(login).toEqual({ code: 0, stdout: `Logged in to ${t.url} as administrator@System (profile "default").\n`, stderr: '' });
    const secrets = path.join(configDir, 'profiles', 'default.secrets.json');
    expect(fs.statSync(secrets).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(configDir, 'profiles', 'default.json'), 'utf8')).not.toContain('eyJ');

    const file = path.join(configDir, 'ci-token.json');
    const create = await cli(['token', 'create', 'ci', '--save', file]);
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toMatch(/^Created API token "ci" \(urn:vcloud:token:[0-9a-f-]{36}\); saved to .*ci-token\.json \(mode 0600\)\.\n$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const tokenFile = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(tokenFile)).toEqual(['token_type', 'refresh_token', 'updated_by', 'updated_on']);
    expect(tokenFile).toEqual({
      token_type: 'API Token', refresh_token: expect.stringMatching(/^odt_[A-Za-z0-9]+$/),
      updated_by: expect.stringMatching(/^opendirector-cli\/\S+ \(\w+\/\w+; isProvider:true\)$/),
      updated_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });

    const list = await cli(['token', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const [header, row, ...rest] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME +ID +OWNER +ORG +CREATED +LAST USED$/);
    expect(row).toMatch(/^ci +urn:vcloud:token:[0-9a-f-]{36} +administrator +System +\d{4}-/);
    expect(rest).toEqual([]);

    const exchange = await cli(['token', 'exchange', '--token-file', file, '--header']);
    expect(exchange.code, exchange.stderr).toBe(0);
    expect(exchange.stdout).toMatch(/^Authorization: Bearer [A-Za-z0-9._-]{33,}\n$/);
    const access = exchange.stdout.trim().slice('Authorization: Bearer '.length);
    expect((await request(t.url, 'GET', '/api/session', { headers: bearer(access) })).status).toBe(200);

    const orgList = await cli(['api', 'GET', '/api/org', '--token-file', file]);
    expect(orgList.code, orgList.stderr).toBe(0);
    expect(orgList.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8" standalone="yes"\?>\n<OrgList [^\n]*>\n {2}<Org [^\n]*name="System"[^\n]*\/>\n<\/OrgList>\n$/);

    const revoke = await cli(['token', 'revoke', 'ci']);
    expect(revoke).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Revoked API token "ci" \(urn:vcloud:token:[0-9a-f-]{36}\)\.\n$/) });

    const refused = await cli(['token', 'exchange', '--token-file', file]);
    expect(refused).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: Invalid refresh token (invalid_grant, HTTP 400) — the API token is unknown, revoked, or not a token of org "System".\n',
    });
  });

  it('shows who is signed in as JSON, logs out, and then says how to sign in (exit code 3)', async () => {
    const who = await cli(['whoami', '--json']);
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: { name: 'administrator' }, org: { name: 'System' }, apiTokenSession: false });
    const logout = await cli(['logout']);
    expect(logout).toEqual({ code: 0, stdout: `Logged out of ${t.url} (profile "default").\n`, stderr: '' });
    const after = await cli(['whoami']);
    expect(after).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: Not signed in (profile "default"): pass --token-file FILE, set OPENDIRECTOR_API_TOKEN, or run `opendirector login`\n',
    });
  });

  it('asks for the TOTP code when the server answers SECOND_FACTOR_REQUIRED, reading it from the next stdin line', async () => {
    const secret = newTotpSecret();
    await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1 }).where('username', '=', 'administrator').execute();
    const args = ['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin', '--profile', 'mfa'];
    const missing = await cli(args, `${ADMIN_PASSWORD}\n`);
    expect(missing).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: A second factor is required: give the TOTP code on the next stdin line or with --totp CODE\n',
    });
    const ok = await cli(args, `${ADMIN_PASSWORD}\n${currentTotpCode(secret)}\n`);
    expect(ok).toEqual({ code: 0, stdout: `Logged in to ${t.url} as administrator@System (profile "mfa").\n`, stderr: '' });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

let t: TestServer;
let configDir: string;
const cli = (args: string[], env?: Record<string, string>, input?: string) =>
  runCli(args, { configDir, ...(env ? { env } : {}), ...(input !== undefined ? { input } : {}) });

/** Names of administrator's tokens, straight from the server. */
async function tokenNames(): Promise<string[]> {
  const r = await cli(['token', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ name: string }>).map((x) => x.name);
}

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
  const login = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], undefined, `${ADMIN_PASSWORD}\n`);
  expect(login.code, login.stderr).toBe(0);
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

// Subprocesses start tsx (~1 s each, more on a busy machine): allow for it.
describe('token create --save never creates a token whose secret it cannot keep', { timeout: 120_000 }, () => {
  it('refuses an existing file without --force before creating anything (exit 2), and leaves the file alone', async () => {
    const file = path.join(configDir, 'taken.json');
    fs.writeFileSync(file, 'the only copy of another secret\n');
    const r = await cli(['token', 'create', 'orphan', '--save', file]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `opendirector: ${file} already exists; pass --force to replace it\n` });
    expect(fs.readFileSync(file, 'utf8')).toBe('the only copy of another secret\n');
    expect(await tokenNames()).not.toContain('orphan');
  });

  it('refuses a path under a regular file (exit 2, one readable line) before creating anything', async () => {
    const file = path.join(configDir, 'plain.txt');
    fs.writeFileSync(file, 'x');
    const r = await cli(['token', 'create', 'orphan2', '--save', path.join(file, 'token.json')]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `opendirector: Cannot write ${path.join(file, 'token.json')}: ${file} is not a folder\n` });
    expect(await tokenNames()).not.toContain('orphan2');
  });

  it('refuses a folder as the file (exit 2) before creating anything', async () => {
    const r = await cli(['token', 'create', 'orphan3', '--save', configDir]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `opendirector: ${configDir} is a folder; give a file name\n` });
    expect(await tokenNames()).not.toContain('orphan3');
  });

  it('replaces an existing file with --force, mode 0600', async () => {
    const file = path.join(configDir, 'replace.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    const r = await cli(['token', 'create', 'replaced', '--save', file, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ token_type: 'API Token', refresh_token: expect.stringMatching(/^odt_/) });
  });
});

describe('a credential of the wrong kind is named, not reported as "not signed in"', { timeout: 120_000 }, () => {
  it('token exchange with only a password session in the profile says an API token is needed (exit 3)', async () => {
    const r = await cli(['token', 'exchange']);
    expect(r).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: This needs an API token, and profile "default" holds a password session: pass --token-file FILE, '
        + 'set OPENDIRECTOR_API_TOKEN, or save one with `opendirector login --token-file FILE`\n',
    });
  });

  it('token create with only an API token in the profile says a password session is needed (exit 3)', async () => {
    const { token } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'for-profile');
    const file = path.join(configDir, 'for-profile.token');
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const saved = await cli(['login', '--url', t.url, '--org', 'System', '--token-file', file, '--profile', 'ci']);
    expect(saved.code, saved.stderr).toBe(0);
    const r = await cli(['token', 'create', 'nested', '--profile', 'ci']);
    expect(r).toEqual({
      code: 3, stdout: '',
      stderr: 'opendirector: This needs a password session, and profile "ci" holds an API token '
        + '(a session made from an API token cannot create tokens): run `opendirector login --user NAME`\n',
    });
  });
});

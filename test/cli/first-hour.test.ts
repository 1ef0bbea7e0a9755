import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

/** What a new user meets in the first hour with the CLI (issue 19), run as real processes. */
let t: TestServer;
let configDir: string;
const dirs: string[] = [];
const cli = (args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}) => runCli(args, { configDir, ...opts });
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-first-hour-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
});
afterAll(async () => {
  await t?.close();
  for (const d of [configDir, ...dirs]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

// Subprocesses start tsx (~1 s each, more on a busy machine): allow for it.
describe('CLI messages a new user meets', { timeout: 120_000 }, () => {
  it('token exchange --help says what it does, not where an idea came from', async () => {
    const r = await cli(['token', 'exchange', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/Exchange an API token for an access token \(the OAuth refresh grant at \/oauth\/…\/token\)/);
    expect(r.stdout).not.toMatch(/seeds|PowerShell helper/);
  });

  it('a token file that does not exist: a sentence saying so and what to do, exit 2 (usage, as documented), no raw ENOENT', async () => {
    const missing = path.join(tempDir(), 'nope.json');
    const r = await cli(['token', 'exchange', '--url', t.url, '--org', 'System', '--token-file', missing]);
    expect(r).toEqual({
      code: 2, stdout: '',
      stderr: `opendirector: Token file ${missing} does not exist: check the path, or create one with \`opendirector token create NAME --save ${missing}\`\n`,
    });
    const folder = await cli(['api', 'GET', '/api/org', '--url', t.url, '--org', 'System', '--token-file', tempDir()]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/^opendirector: Token file \S+ is a folder; give the token file's name\n$/);
  });

  it('an unknown method lists the valid ones (exit 2)', async () => {
    const r = await cli(['api', 'FETCH', '/api/org', '--url', t.url, '--org', 'System']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'opendirector: Unknown method FETCH: use one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS\n' });
  });

  it('login --url …/api (the Go SDK\'s and Terraform\'s form) and …/cloudapi/ keep the server\'s base URL', async () => {
    for (const suffix of ['/api', '/cloudapi/']) {
      const r = await cli(['login', '--url', `${t.url}${suffix}`, '--org', 'System', '--user', 'administrator', '--password-stdin'], { input: `${ADMIN_PASSWORD}\n` });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`Logged in to ${t.url} as administrator@System (profile "default").\n`);
      const who = await cli(['whoami']);
      expect(who.code, who.stderr).toBe(0);
      expect(who.stdout).toMatch(new RegExp(`Server: +${t.url.replace(/[.]/g, '\\.')}\\n`));
      const api = await cli(['api', 'GET', '/api/org']);
      expect(api.code, api.stderr).toBe(0);
      expect(api.stdout).toContain('<OrgList');
    }
  });
});

describe('token create --save warns when the secret would land in a git work tree unignored', { timeout: 120_000 }, () => {
  const repo = () => {
    const dir = tempDir();
    execFileSync('git', ['init', '-q', dir]);
    fs.writeFileSync(path.join(dir, '.gitignore'), '*.secret.json\n');
    return dir;
  };
  const warning = /^Warning: \S+ is inside the git work tree (\S+) and git does not ignore it: the secret could be committed\. Save it outside the repository/m;
  beforeAll(async () => {
    const r = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], { input: `${ADMIN_PASSWORD}\n` });
    expect(r.code, r.stderr).toBe(0);
  });

  it('warns for a file in a repository that .gitignore does not cover, and still saves it', async () => {
    const dir = repo();
    const r = await cli(['token', 'create', 'in-repo', '--save', 'ci-token.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(warning.exec(r.stderr)?.[1]).toBe(fs.realpathSync(dir));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ci-token.json'), 'utf8'))).toMatchObject({ refresh_token: expect.stringMatching(/^odt_/) });
    // A folder of the repository that does not exist yet is in it too.
    const nested = await cli(['token', 'create', 'in-repo-nested', '--save', path.join(dir, 'new', 'folder', 'token.json')]);
    expect(nested.stderr).toMatch(warning);
  });

  it('does not warn for an ignored file, a file outside any repository, or when git is not installed', async () => {
    const dir = repo();
    const ignored = await cli(['token', 'create', 'ignored', '--save', path.join(dir, 'ci.secret.json')]);
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toBe('');
    const outside = await cli(['token', 'create', 'outside', '--save', path.join(tempDir(), 'ci-token.json')]);
    expect(outside.code, outside.stderr).toBe(0);
    expect(outside.stderr).toBe('');
    // No git on PATH: nobody commits with it on this machine either; no warning, no failure.
    const noGit = await cli(['token', 'create', 'no-git', '--save', path.join(dir, 'no-git.json')], { env: { PATH: tempDir() } });
    expect(noGit.code, noGit.stderr).toBe(0);
    expect(noGit.stderr).toBe('');
  });
});

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, TEST_KEY_ENCRYPTION_KEY, type TestServer } from '../support/test-server.ts';
import { engines } from '../support/database-engines.ts';
import { basic, bearer, request } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `opendirector <args>` as an operator would on the server's machine, with only the given OPENDIRECTOR_* variables. */
function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) base[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/opendirector.js'), ...args], { cwd: ROOT, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

const providerLogin = (url: string, password: string) => request(url, 'POST', '/cloudapi/1.0.0/sessions/provider', {
  headers: { authorization: basic('administrator', 'System', password), accept: 'application/json;version=37.0' },
});

describe.each(engines)('opendirector admin reset-password (%s)', (engine) => {
  let cell: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    cell = await startTestServer({ passwordHashCost: 10 }, { engine });
    const databaseUrl = cell.server.services.config.databaseUrl;
    env = {
      OPENDIRECTOR_DATA_DIR: cell.dataDir, OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10',
      ...(databaseUrl ? { OPENDIRECTOR_DATABASE_URL: databaseUrl, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY } : {}),
    };
  });
  afterAll(async () => {
    await cell?.close();
  });

  it('generates and prints a new password: it logs in, the old one does not, sessions end, and the System org audits who ran it', async () => {
    const before = await loginAdmin(cell.url);
    const r = await cli(['admin', 'reset-password'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const password = /^Password of administrator@System reset \(shown once\): (\S{20,})\n$/.exec(r.stdout)?.[1];
    expect(password, r.stdout).toBeDefined();

    expect((await providerLogin(cell.url, ADMIN_PASSWORD)).status).toBe(401);
    await login(cell.url, 'administrator', 'System', password!);
    // The session from before the reset is over (on a running server: nothing was restarted).
    expect((await request(cell.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(before) })).status).toBe(401);

    const events = await cell.server.database.db.selectFrom('audit_events').selectAll()
      .where('event_type', '=', 'com/vmware/cloud/event/user/password/modify').where('entity_name', '=', 'administrator').execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_name: 'System', user_id: null, entity_type: 'user', event_status: 'SUCCESS' });
    expect(events[0]?.description).toMatch(/^Password of administrator reset with `opendirector admin reset-password` by \S+@\S+$/);
    expect(events[0]?.description).not.toContain(password!);
  });

  it('takes the password from stdin (--password-stdin) and refuses one the password rules refuse, changing nothing', async () => {
    const chosen = `Chosen-${engine}-Passw0rd`;
    const r = await cli(['admin', 'reset-password', '--password-stdin'], env, `${chosen}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Password of administrator@System reset; its sessions were ended.\n');
    expect(r.stdout).not.toContain(chosen);
    await login(cell.url, 'administrator', 'System', chosen);

    const short = await cli(['admin', 'reset-password', '--password-stdin'], env, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('opendirector: The password must be at least 8 characters long.\n');
    await login(cell.url, 'administrator', 'System', chosen);

    const empty = await cli(['admin', 'reset-password', '--password-stdin'], env, '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^opendirector: --password-stdin: stdin held no password/);
  });

  it('says so when the System org has no such user', async () => {
    const r = await cli(['admin', 'reset-password', '--user', 'nobody'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^opendirector: There is no user nobody in the System org\./);
  });
});

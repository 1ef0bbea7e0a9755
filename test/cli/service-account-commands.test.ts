import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/opendirector.js', import.meta.url));

let t: TestServer;
let configDir: string;
const cli = (args: string[], input?: string) => runCli(args, { configDir, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
  const login = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
  expect(login.code, login.stderr).toBe(0);
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

/** `login --service-account` in a subprocess whose stderr is read as it comes (the user code). */
function startDeviceLogin(clientId: string, file: string) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPENDIRECTOR_')) env[k] = v;
  Object.assign(env, { OPENDIRECTOR_CONFIG_DIR: tempConfigDir(), NO_COLOR: '1' });
  const child = spawn(process.execPath, [BIN, 'login', '--url', t.url, '--org', 'System', '--service-account', clientId, '--save', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onStderr: () => void = () => undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; onStderr(); });
  const userCode = new Promise<string>((resolve, reject) => {
    onStderr = () => {
      const m = /\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b/.exec(stderr);
      if (m) resolve(m[1]!);
    };
    child.on('close', () => reject(new Error(`login ended before printing a user code: ${stderr}`)));
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { userCode, done };
}

// Subprocesses start tsx (~1 s each), and the device login polls at the server's 5 s interval.
describe('opendirector sa and login --service-account (issue 16)', { timeout: 120_000 }, () => {
  it('creates, activates with the device flow, uses the rotating token file, revokes and deletes', async () => {
    const created = await cli(['sa', 'create', 'cli-robot', '--role', 'System Administrator', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const clientId = (JSON.parse(created.stdout) as { id: string }).id.split(':').pop()!;

    const file = path.join(configDir, 'cli-robot.json');
    const device = startDeviceLogin(clientId, file);
    const userCode = await device.userCode;
    const granted = await cli(['sa', 'grant', userCode]);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toContain('Granted service account "cli-robot"');
    const loggedIn = await device.done;
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stderr).toContain(`${t.url}/provider/device`);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { token_type: string; refresh_token: string };
    expect(saved.token_type).toBe('Service Account');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const listed = await cli(['sa', 'list', '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ name: string; status: string }>).find((a) => a.name === 'cli-robot')?.status).toBe('ACTIVE');

    // Using the file rotates the token and rewrites the file.
    const who = await cli(['whoami', '--token-file', file, '--json']);
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).user.name).toBe('cli-robot');
    const rotated = JSON.parse(fs.readFileSync(file, 'utf8')) as { refresh_token: string };
    expect(rotated.refresh_token).not.toBe(saved.refresh_token);

    const revoked = await cli(['sa', 'revoke', 'cli-robot', '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout).status).toBe('CREATED');
    const refused = await cli(['whoami', '--token-file', file]);
    expect(refused.code).not.toBe(0);
    const deleted = await cli(['sa', 'delete', 'cli-robot']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((JSON.parse((await cli(['sa', 'list', '--json'])).stdout || '[]') as Array<{ name: string }>).map((a) => a.name)).not.toContain('cli-robot');
  });
});

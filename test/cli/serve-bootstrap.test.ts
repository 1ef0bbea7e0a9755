import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killServerProcess, runFailingServerProcess, startServerProcess, type ServerProcess } from '../faults/server-process.ts';
import { basic, request } from '../support/http-client.ts';

const providerLogin = (url: string, password: string) => request(url, 'POST', '/cloudapi/1.0.0/sessions/provider', {
  headers: { authorization: basic('administrator', 'System', password), accept: 'application/json;version=37.0' },
});
const IGNORED = /WARNING: OPENDIRECTOR_ADMIN_PASSWORD is set but ignored: administrator@System already exists with another password\./;

describe('opendirector serve: the administrator is bootstrapped once the server listens (issue 19)', () => {
  let server: ServerProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await killServerProcess(server);
    server = undefined;
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-first-start-'));
    dirs.push(d);
    return d;
  };
  const stop = async () => {
    await killServerProcess(server);
    server = undefined;
  };

  it('a first start that cannot listen creates no administrator and prints no password; the next start uses OPENDIRECTOR_ADMIN_PASSWORD', async () => {
    const dataDir = tempDir();
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const busyPort = (other.address() as net.AddressInfo).port;
    try {
      const failed = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: dataDir, OPENDIRECTOR_PORT: String(busyPort), OPENDIRECTOR_ADMIN_PASSWORD: '' });
      expect(failed.code, failed.output).toBe(1);
      expect(failed.output).toMatch(/the port is already in use/);
      expect(failed.output).not.toMatch(/Bootstrap|password/i);
    } finally {
      other.close();
    }
    const chosen = 'Chosen-Admin-Passw0rd';
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: chosen } });
    expect((await providerLogin(server.url, chosen)).status).toBe(200);
    expect(server.output()).not.toMatch(IGNORED);
  });

  it('prints a generated password once, after the port is bound, and it logs in', async () => {
    const dataDir = tempDir();
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: '' } });
    const password = /Bootstrap: administrator@System password \(shown once\): (\S+)\n/.exec(server.output())?.[1];
    expect(password, server.output()).toBeDefined();
    expect((await providerLogin(server.url, password!)).status).toBe(200);
    await stop();
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: '' } });
    expect(server.output()).not.toMatch(/Bootstrap:/);
  });

  it('warns loudly when OPENDIRECTOR_ADMIN_PASSWORD is set but is not the existing administrator\'s password, and not when it is', async () => {
    const dataDir = tempDir();
    const first = 'First-Admin-Passw0rd';
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: first } });
    await stop();
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: 'Second-Admin-Passw0rd' } });
    expect(server.output()).toMatch(IGNORED);
    expect(server.output()).toContain('opendirector admin reset-password');
    expect(server.output()).not.toContain('Second-Admin-Passw0rd');
    expect((await providerLogin(server.url, 'Second-Admin-Passw0rd')).status).toBe(401);
    expect((await providerLogin(server.url, first)).status).toBe(200);
    await stop();
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_ADMIN_PASSWORD: first } });
    expect(server.output()).not.toMatch(/OPENDIRECTOR_ADMIN_PASSWORD/);
  });
});

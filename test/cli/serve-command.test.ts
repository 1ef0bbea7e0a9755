import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killServerProcess, startServerProcess, type ServerProcess } from '../faults/server-process.ts';

const WARNING = /Links point at http:\/\/0\.0\.0\.0:\d+, which clients elsewhere cannot reach: set OPENDIRECTOR_PUBLIC_URL/;

describe('opendirector serve on every interface', () => {
  let server: ServerProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await killServerProcess(server);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const start = async (env: Record<string, string>) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-serve-'));
    dirs.push(dataDir);
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_HOST: '0.0.0.0', OPENDIRECTOR_ALLOW_INSECURE_BIND: 'true', ...env } });
    return server;
  };

  it('warns that links would point at 0.0.0.0 when no public URL is set', async () => {
    const s = await start({});
    await s.waitForOutput(WARNING);
    const versions = await fetch(`${s.url}/api/versions`, { headers: { accept: 'application/*+xml;version=37.0' } });
    expect(await versions.text()).toContain('<LoginUrl>http://0.0.0.0:');
  });

  it('does not warn when the public URL says where clients reach it', async () => {
    const s = await start({ OPENDIRECTOR_PUBLIC_URL: 'https://cloud.example.com' });
    // startServerProcess waited for the "listening" line, printed after where the warning would be.
    const versions = await fetch(`${s.url}/api/versions`, { headers: { accept: 'application/*+xml;version=37.0' } });
    expect(await versions.text()).toContain('<LoginUrl>https://cloud.example.com/');
    expect(s.output()).not.toMatch(/Links point at/);
  });
});

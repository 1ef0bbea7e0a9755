import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killServerProcess, startServerProcess, type ServerProcess } from './server-process.ts';

/**
 * SIGTERM / SIGINT of `opendirector serve` while a client holds a request open (sent half a
 * body and went quiet): the process still ends within the grace period plus a little, and a
 * second signal ends it at once.
 */

const started: ServerProcess[] = [];
const sockets: net.Socket[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of started.splice(0)) await killServerProcess(p);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(graceSeconds: number): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-shutdown-'));
  dirs.push(dataDir);
  const p = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_LOG_LEVEL: 'info', OPENDIRECTOR_SHUTDOWN_GRACE_SECONDS: String(graceSeconds) } });
  started.push(p);
  return p;
}

/** A connection that sent the headers and 3 of 10 body bytes of a login, then nothing. */
async function stalledRequest(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('POST /cloudapi/1.0.0/sessions/provider HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a');
  // The server has the request once a plain request on another connection has been answered.
  expect((await fetch(`${url}/health/live`)).status).toBe(200);
  return socket;
}

/** Resolves with how the process ended, or 'still running' after `ms`. */
async function exitWithin(p: ServerProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => { timer = setTimeout(() => resolve('still running'), ms); });
  try {
    return await Promise.race([p.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('opendirector serve shutting down with a request that never completes', () => {
  it('closes the stalled connection after the grace period and exits with status 0', async () => {
    const p = await start(1);
    const socket = await stalledRequest(p.url);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const t0 = performance.now();
    p.child.kill('SIGTERM');
    expect(await exitWithin(p, 15_000), p.output()).toEqual({ code: 0, signal: null });
    await closed;
    // Grace 1 s; well under the 1 + 5 s hard limit.
    expect(performance.now() - t0).toBeLessThan(6_000);
    expect(p.output()).toMatch(/"msg":"1 connection\(s\) still busy after 1 s: closing them"/);
    expect(p.output()).toMatch(/"msg":"stopped"/);
  });

  it('exits at once (status 130) on a second SIGINT instead of waiting out the grace period', async () => {
    const p = await start(60);
    await stalledRequest(p.url);
    p.child.kill('SIGINT');
    await p.waitForOutput(/shutting down: finishing in-flight requests \(at most 60 s; send SIGINT again to exit now\)/);
    p.child.kill('SIGINT');
    expect(await exitWithin(p, 10_000), p.output()).toEqual({ code: 130, signal: null });
    expect(p.output()).toMatch(/"msg":"second signal: exiting now"/);
  });
});

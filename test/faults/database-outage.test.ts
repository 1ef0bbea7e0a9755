import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, startPostgres, stopSharedPostgres, type PostgresCluster } from '../support/embedded-postgres.ts';
import { loginAdmin } from '../support/flows.ts';
import { basic, bearer, request, type TestResponse } from '../support/http-client.ts';
import { startBlackHoleProxy } from '../support/silent-tcp-server.ts';
import { ADMIN_PASSWORD, startTestServer, TEST_KEY_ENCRYPTION_KEY } from '../support/test-server.ts';
import { freePort, killServerProcess, PROCESS_ADMIN_PASSWORD, startServerProcess, type ServerProcess } from './server-process.ts';

/**
 * A cell whose PostgreSQL goes away (stopped, restarted, failed over): requests that need the
 * database answer 503 with Retry-After in their family's error shape — what load balancers and
 * clients retry on — instead of 500, the notification connection reports the loss once and its
 * return once, and everything works again once the database is back, without a restart.
 */

const JSON_37 = { accept: 'application/json;version=37.0' };
const XML_37 = { accept: 'application/*+xml;version=37.0' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

let cluster: PostgresCluster;
let cell: ServerProcess;
let dataDir: string;
let session: string;
let apiToken: string;

/** pino lines the cell printed about its notification connection. */
function notificationLines(output: string): Array<{ level: number; msg: string; line: string }> {
  return output.split('\n').filter((l) => l.startsWith('{') && l.includes('notification connection'))
    .map((line) => ({ ...(JSON.parse(line) as { level: number; msg: string }), line }));
}

beforeAll(async () => {
  // A cluster of its own: this file stops and restarts it.
  cluster = await startPostgres();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-outage-'));
  cell = await startServerProcess({
    dataDir, port: await freePort(),
    env: { OPENDIRECTOR_DATABASE_URL: await cluster.createDatabase(), OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY, OPENDIRECTOR_LOG_LEVEL: 'info' },
  });
  const login = await request(cell.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { headers: { authorization: basic('administrator', 'System', PROCESS_ADMIN_PASSWORD), ...JSON_37 } });
  expect(login.status, login.text).toBe(200);
  session = login.headers.get('x-vmware-vcloud-access-token')!;
  const reg = await request(cell.url, 'POST', '/oauth/provider/register', { headers: { ...bearer(session), accept: 'application/json' }, json: { client_name: 'outage' } });
  expect(reg.status, reg.text).toBe(200);
  const mint = await request(cell.url, 'POST', '/oauth/provider/token', {
    headers: FORM,
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: reg.json<{ client_id: string }>().client_id }).toString(),
  });
  expect(mint.status, mint.text).toBe(200);
  apiToken = mint.json<{ refresh_token: string }>().refresh_token;
});

afterAll(async () => {
  await killServerProcess(cell);
  await cluster?.stop();
  await stopSharedPostgres();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The requests of every family that need the database: a bearer read, a login, an API token exchange. */
async function probe(): Promise<Record<string, TestResponse>> {
  return {
    cloudapi: await request(cell.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(session), ...JSON_37 } }),
    login: await request(cell.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { headers: { authorization: basic('administrator', 'System', PROCESS_ADMIN_PASSWORD), ...JSON_37 } }),
    xml: await request(cell.url, 'GET', '/api/session', { headers: { ...bearer(session), ...XML_37 } }),
    oauth: await request(cell.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${apiToken}` }),
  };
}

/** Resolves once `predicate` holds for the cell's output (checked whenever it prints). */
async function untilOutput(predicate: (out: string) => boolean, limitMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!predicate(cell.output())) {
    if (performance.now() - started > limitMs) throw new Error(`not ${what} within ${limitMs} ms:\n${cell.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a cell while its PostgreSQL is stopped', () => {
  it('answers 503 with Retry-After in each family\'s error shape, reports the lost notification connection once, and recovers without a restart', async () => {
    const before = await probe();
    for (const [name, res] of Object.entries(before)) expect(res.status, `${name}: ${res.text}`).toBe(200);

    await cluster.halt();
    const haltedAt = performance.now();
    const down = await probe();
    for (const [name, res] of Object.entries(down)) {
      expect(res.status, `${name}: ${res.text}`).toBe(503);
      expect(res.headers.get('retry-after'), name).toBe('5');
    }
    expect(down.cloudapi!.headers.get('content-type')).toBe('application/json;version=37.0');
    expect(down.cloudapi!.json()).toEqual({ minorErrorCode: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/^\[ [\w-]+ \] The database is unavailable\. Try again shortly\.$/), stackTrace: null });
    expect(down.login!.json()).toMatchObject({ minorErrorCode: 'SERVICE_UNAVAILABLE' });
    expect(down.xml!.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.error+xml;version=37.0');
    expect(down.xml!.text).toMatch(/<Error xmlns="http:\/\/www\.vmware\.com\/vcloud\/v1\.5" majorErrorCode="503" minorErrorCode="SERVICE_UNAVAILABLE" message="\[ [\w-]+ \] The database is unavailable\. Try again shortly\."/);
    expect(down.oauth!.headers.get('content-type')).toBe('application/json');
    expect(down.oauth!.json()).toEqual({
      minorErrorCode: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable. Try again shortly.', stackTrace: null,
      error: 'temporarily_unavailable', error_description: 'The database is unavailable. Try again shortly.',
    });
    expect((await request(cell.url, 'GET', '/health/ready')).status).toBe(503);
    expect((await request(cell.url, 'GET', '/health/live')).status).toBe(200);

    // Long enough for several reconnection attempts of the notification connection (250 ms, 500 ms, 1 s, ...).
    await new Promise((r) => setTimeout(r, Math.max(0, 2_500 - (performance.now() - haltedAt))));
    await cluster.restart();
    await untilOutput((out) => notificationLines(out).some((l) => /restored/.test(l.msg)), 15_000, 'reconnected');
    const up = await probe();
    for (const [name, res] of Object.entries(up)) expect(res.status, `${name}: ${res.text}`).toBe(200);

    const lines = notificationLines(cell.output());
    expect(lines.map((l) => [l.level, l.msg]), cell.output()).toEqual([
      [40, 'notification connection lost; reconnecting in the background'],
      [30, 'notification connection restored'],
    ]);
    // One line each and no stack trace (that is for log level debug).
    expect(lines[0]!.line).not.toMatch(/"stack"|\\n\s+at /);
    // Nothing the cell logged while down carries a stack trace: a 503 is not a bug.
    expect(cell.output()).not.toMatch(/"stack"/);
  });
});

describe('a cell whose network path to PostgreSQL silently drops everything', () => {
  it('answers 503 once the connection timeout has passed instead of hanging, and serves again when the path is back', async () => {
    const url = new URL(await (await sharedPostgres()).createDatabase());
    const proxy = await startBlackHoleProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const t = await startTestServer({ databaseUrl: url.toString(), databaseConnectTimeoutSeconds: 1 });
    try {
      const token = await loginAdmin(t.url);
      const current = () => request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(token), ...JSON_37 } });
      expect((await current()).status).toBe(200);

      proxy.blackHole();
      // Once the pool has noticed its dropped connections, a request needs a new one.
      const pool = t.server.database.pgPool!;
      while (pool.idleCount > 0) await new Promise((r) => setImmediate(r));
      const started = performance.now();
      const down = await current();
      const tookMs = performance.now() - started;
      expect(down.status, down.text).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.json()).toMatchObject({ minorErrorCode: 'SERVICE_UNAVAILABLE' });
      expect(tookMs).toBeGreaterThanOrEqual(950);
      expect(tookMs).toBeLessThan(5_000);

      proxy.restore();
      expect((await current()).status).toBe(200);
    } finally {
      proxy.restore();
      await t.close();
      await proxy.close();
    }
  });
});

describe('a server whose SQLite file another process keeps locked', () => {
  it('answers a write 503 once the busy timeout has passed, and serves again when the lock is gone', async () => {
    const t = await startTestServer({}, { engine: 'sqlite' });
    // The CLI's `keys rotate` or a second server on the same file, stuck inside a transaction.
    const other = new SQLite(path.join(t.dataDir, 'opendirector.db'));
    try {
      other.exec('begin immediate');
      const started = performance.now();
      const res = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { headers: { authorization: basic('administrator', 'System', ADMIN_PASSWORD), ...JSON_37 } });
      const tookMs = performance.now() - started;
      expect(res.status, res.text).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.json()).toMatchObject({ minorErrorCode: 'SERVICE_UNAVAILABLE' });
      // SQLite's busy timeout (db.ts) is 5 s.
      expect(tookMs).toBeGreaterThanOrEqual(4_900);
      other.exec('rollback');
      expect((await request(t.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { headers: { authorization: basic('administrator', 'System', ADMIN_PASSWORD), ...JSON_37 } })).status).toBe(200);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
      await t.close();
    }
  });
});

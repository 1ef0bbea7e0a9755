import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { basic, bearer, request } from '../support/http-client.ts';
import { freePort, killServerProcess, PROCESS_ADMIN_PASSWORD, startServerProcess, type ServerProcess } from './server-process.ts';

/**
 * Issue 8, crash safety: an acknowledged token creation or revocation is durable. The server runs
 * as its own process; a bounded, concurrent load of creations (register + mint), exchanges and
 * revocations is cut by SIGKILL; the restarted server must honour every acknowledgement.
 */

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
/** Enough acknowledged work that the kill lands among requests of every kind. */
const TARGET_CREATED = 60;
const TARGET_REVOKED = 15;
const WORKERS = 8;

const started: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) await killServerProcess(p);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, port: number, env?: Record<string, string>): Promise<ServerProcess> {
  const p = await startServerProcess({ dataDir, port, ...(env ? { env } : {}) });
  started.push(p);
  return p;
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'od-crash-'));
  dirs.push(d);
  return d;
}

async function loginProvider(url: string): Promise<string> {
  const res = await request(url, 'POST', '/cloudapi/1.0.0/sessions/provider', {
    headers: { authorization: basic('administrator', 'System', PROCESS_ADMIN_PASSWORD), accept: 'application/json;version=37.0' },
  });
  expect(res.status, res.text).toBe(200);
  return res.headers.get('x-vmware-vcloud-access-token') as string;
}

const exchangeBody = (token: string) => `grant_type=refresh_token&refresh_token=${token}`;

/** What the clients were told before the kill. */
interface Ledger {
  /** Tokens whose mint answered 200 with the secret. */
  created: Map<string, string>;
  /** Tokens whose DELETE answered 204. */
  revoked: Set<string>;
  /** Revocations sent but not (yet) acknowledged: either outcome is allowed after the crash. */
  revoking: Set<string>;
  /** Access tokens from exchanges that answered 200, with their API token id. */
  accessTokens: { tokenId: string; accessToken: string }[];
  errors: string[];
}

async function createOne(url: string, session: string, ledger: Ledger, n: number): Promise<void> {
  const reg = await request(url, 'POST', '/oauth/provider/register', { headers: bearer(session), json: { client_name: `crash-${n}` } });
  if (reg.status !== 200) return void ledger.errors.push(`register ${reg.status} ${reg.text}`);
  const clientId = reg.json<{ client_id: string }>().client_id;
  const mint = await request(url, 'POST', '/oauth/provider/token', {
    headers: FORM,
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: clientId }).toString(),
  });
  if (mint.status !== 200) return void ledger.errors.push(`mint ${mint.status} ${mint.text}`);
  ledger.created.set(clientId, mint.json<{ refresh_token: string }>().refresh_token);
}

async function exchangeOne(url: string, ledger: Ledger, pick: number): Promise<void> {
  const live = [...ledger.created.keys()].filter((id) => !ledger.revoked.has(id) && !ledger.revoking.has(id));
  const id = live[pick % Math.max(1, live.length)];
  if (!id) return;
  const res = await request(url, 'POST', '/oauth/provider/token', { headers: FORM, body: exchangeBody(ledger.created.get(id) as string) });
  // A revocation may have started meanwhile; only an unexpected refusal of a live token is an error.
  if (res.status === 200) ledger.accessTokens.push({ tokenId: id, accessToken: res.json<{ access_token: string }>().access_token });
  else if (!ledger.revoking.has(id) && !ledger.revoked.has(id)) ledger.errors.push(`exchange ${res.status} ${res.text}`);
}

async function revokeOne(url: string, session: string, ledger: Ledger, pick: number): Promise<void> {
  const live = [...ledger.created.keys()].filter((id) => !ledger.revoked.has(id) && !ledger.revoking.has(id));
  const id = live[pick % Math.max(1, live.length)];
  if (!id) return;
  ledger.revoking.add(id);
  const res = await request(url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(session) });
  if (res.status !== 204) return void ledger.errors.push(`revoke ${res.status} ${res.text}`);
  ledger.revoking.delete(id);
  ledger.revoked.add(id);
}

/**
 * Runs WORKERS concurrent loops mixing the three operations until `shouldKill` says so, then
 * SIGKILLs the server while the other loops still have requests in flight.
 */
async function loadUntilKilled(server: ServerProcess, session: string, ledger: Ledger): Promise<{ inFlightAtKill: number }> {
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  let counter = 0;
  const worker = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const op = (w + i) % 4;
      inFlight++;
      try {
        if (op === 0 || op === 1) await createOne(server.url, session, ledger, counter++);
        else if (op === 2) await exchangeOne(server.url, ledger, w * 31 + i);
        else if (ledger.created.size > 10) await revokeOne(server.url, session, ledger, w * 17 + i);
      } catch (e) {
        if (!killed) ledger.errors.push(`request failed before the kill: ${String(e)}`);
      } finally {
        inFlight--;
      }
      if (!killed && ledger.created.size >= TARGET_CREATED && ledger.revoked.size >= TARGET_REVOKED) {
        killed = true;
        inFlightAtKill = inFlight;
        server.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return { inFlightAtKill };
}

describe('crash safety (issue 8)', () => {
  it('keeps every acknowledged token creation and revocation across a SIGKILL mid-load', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // Exchanges of revoked tokens after the restart are failures; keep the limiter out of the way.
    const env = { OPENDIRECTOR_RATE_LIMIT_FAILURES_PER_MINUTE: '100000' };
    const first = await start(dataDir, port, env);
    const session = await loginProvider(first.url);
    const ledger: Ledger = { created: new Map(), revoked: new Set(), revoking: new Set(), accessTokens: [], errors: [] };
    const { inFlightAtKill } = await loadUntilKilled(first, session, ledger);
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(ledger.errors).toEqual([]);
    expect(ledger.created.size).toBeGreaterThanOrEqual(TARGET_CREATED);
    expect(ledger.revoked.size).toBeGreaterThanOrEqual(TARGET_REVOKED);
    expect(inFlightAtKill).toBeGreaterThan(0);

    const second = await start(dataDir, port, env);
    const wrong: string[] = [];
    for (const [id, token] of ledger.created) {
      if (ledger.revoking.has(id)) continue; // revocation in flight at the kill: either outcome holds
      const res = await request(second.url, 'POST', '/oauth/provider/token', { headers: FORM, body: exchangeBody(token) });
      const expected = ledger.revoked.has(id) ? 400 : 200;
      if (res.status !== expected) wrong.push(`${id}: expected ${expected}, got ${res.status}`);
    }
    for (const { tokenId, accessToken } of ledger.accessTokens) {
      if (ledger.revoking.has(tokenId)) continue;
      const res = await request(second.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(accessToken), accept: 'application/json;version=37.0' } });
      const expected = ledger.revoked.has(tokenId) ? 401 : 200;
      if (res.status !== expected) wrong.push(`access token of ${tokenId}: expected ${expected}, got ${res.status}`);
    }
    expect(wrong).toEqual([]);
    console.info(`crash safety: ${ledger.created.size} creations, ${ledger.revoked.size} revocations, ${ledger.accessTokens.length} exchanges acknowledged; ${inFlightAtKill} requests in flight at SIGKILL`);
  }, 120_000);

  it('finishes in-flight requests with their normal status on SIGTERM, then exits 0', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // info level: the test waits for the "shutting down" line to know SIGTERM was handled.
    const server = await start(dataDir, port, { OPENDIRECTOR_LOG_LEVEL: 'info' });
    const session = await loginProvider(server.url);
    const reg = await request(server.url, 'POST', '/oauth/provider/register', { headers: bearer(session), json: { client_name: 'graceful' } });
    const clientId = reg.json<{ client_id: string }>().client_id;
    const mint = await request(server.url, 'POST', '/oauth/provider/token', {
      headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: clientId }).toString(),
    });
    const apiToken = mint.json<{ refresh_token: string }>().refresh_token;

    // `Expect: 100-continue`: Node's server answers 100 only once it has parsed the headers and
    // dispatched the request, so after the 100 the request is provably in flight; its body is
    // sent only after the server has begun shutting down.
    const body = exchangeBody(apiToken);
    const inFlight = Array.from({ length: 5 }, () => {
      const req = http.request(`${server.url}/oauth/provider/token`, {
        method: 'POST', agent: false,
        headers: { ...FORM, 'content-length': String(Buffer.byteLength(body)), expect: '100-continue' },
      });
      const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req.once('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.once('error', reject);
      });
      req.flushHeaders();
      return { req, continued, response };
    });
    await Promise.all(inFlight.map((r) => r.continued));
    server.child.kill('SIGTERM');
    await server.waitForOutput(/shutting down: finishing in-flight requests/);
    for (const r of inFlight) r.req.end(body);
    const answers = await Promise.all(inFlight.map((r) => r.response));
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      expect(JSON.parse(a.text)).toMatchObject({ token_type: 'Bearer' });
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});

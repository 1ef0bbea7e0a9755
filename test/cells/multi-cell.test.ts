import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { startCell, type Cell } from './cell-process.ts';

/**
 * Issue 6: three stateless cells — three `opendirector serve` processes — over one PostgreSQL
 * database, started at once on an empty database. What one cell commits (a token, a revocation,
 * a disabled user, a role change) holds on every other cell at the next request, and killing a
 * cell loses nothing that was acknowledged.
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const JSON_37 = { accept: 'application/json;version=37.0' };
const TRIALS = 50;
/** The bound on how long a revocation may take to hold on another cell. */
const MAX_REVOCATION_DELAY_MS = 100;
/** Polling stops here (a bounded loop); a cell still accepting the token by then fails the test. */
const POLL_LIMIT_MS = 1_000;

let cells: Cell[] = [];
let db: DatabaseHandle;
let A: Cell;
let B: Cell;
let C: Cell;

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  // All three at once on the empty database: migrations and bootstrap race.
  const starting = ['A', 'B', 'C'].map((name) => startCell(name, url));
  const settled = await Promise.allSettled(starting);
  cells = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  [A, B, C] = cells as [Cell, Cell, Cell];
  db = openDatabase({ dataDir: '/nonexistent', databaseUrl: url, poolSize: 2 });
  db.pgPool?.on('error', () => undefined);
});
afterAll(async () => {
  await Promise.all(cells.map((c) => c.kill()));
  await db?.close();
});

const sessionStatus = async (cell: Cell, token: string) =>
  (await request(cell.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(token) })).status;

/**
 * Polls `cell` back to back until it refuses `token` (401): the milliseconds from `since` to that
 * refusal's arrival (an upper bound on the propagation delay: it includes one round trip), and
 * how many requests the cell still accepted meanwhile.
 */
async function untilRefused(cell: Cell, token: string, since: number): Promise<{ ms: number; accepted: number }> {
  let accepted = 0;
  for (;;) {
    const status = await sessionStatus(cell, token);
    const elapsed = performance.now() - since;
    if (status === 401) return { ms: elapsed, accepted };
    expect(status).toBe(200);
    accepted++;
    if (elapsed > POLL_LIMIT_MS) return { ms: Number.POSITIVE_INFINITY, accepted };
  }
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

describe('three cells over one PostgreSQL (issue 6)', () => {
  it('starts all three at once on an empty database with one schema, one System org, one administrator and one signing key', async () => {
    const counts = await sql<{ name: string; n: number }>`select name, count(*)::int as n from schema_migrations group by name order by name`.execute(db.db);
    expect(counts.rows).toEqual(migrations.map((m) => m.name).sort().map((name) => ({ name, n: 1 })));
    const one = async (q: Promise<{ n: number } | undefined>) => Number((await q)?.n);
    expect(await one(db.db.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).where('name', '=', 'System').executeTakeFirst())).toBe(1);
    expect(await one(db.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('username_lower', '=', 'administrator').executeTakeFirst())).toBe(1);
    expect(await one(db.db.selectFrom('signing_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())).toBe(1);
    expect(await one(db.db.selectFrom('schema_meta').select((eb) => eb.fn.countAll<number>().as('n')).where('key', '=', 'site_id').executeTakeFirst())).toBe(1);
    expect(await one(db.db.selectFrom('rbac_version').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())).toBe(1);
    for (const cell of cells) {
      const ready = await request(cell.url, 'GET', '/health/ready');
      expect(ready.status, `${cell.name}: ${ready.text}`).toBe(200);
      expect(await loginAdmin(cell.url)).toBeTruthy();
    }
  });

  it(`refuses a token revoked on one cell on the others at once (≤ ${MAX_REVOCATION_DELAY_MS} ms, ${TRIALS} trials)`, async () => {
    const session = await loginAdmin(A.url);
    const delays: number[] = [];
    let acceptedAfterRevocation = 0;
    for (let i = 0; i < TRIALS; i++) {
      const { id, token } = await createApiToken(A.url, session, 'System', `revocation-trial-${i}`);
      const access = await exchange(B.url, 'System', token);
      expect(await sessionStatus(C, access)).toBe(200);
      const del = await request(B.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(session) });
      expect(del.status, del.text).toBe(204);
      const revokedAt = performance.now();
      const [onA, onC] = await Promise.all([untilRefused(A, access, revokedAt), untilRefused(C, access, revokedAt)]);
      delays.push(Math.max(onA.ms, onC.ms));
      acceptedAfterRevocation += onA.accepted + onC.accepted;
      const again = await request(i % 2 ? A.url : C.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
      expect(again.status).toBe(400);
    }
    const worst = Math.max(...delays);
    // The delay includes one HTTP round trip: the first request after the DELETE is already refused.
    console.log(`cross-cell revocation delay: median ${median(delays).toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${delays.length} trials`
      + ` (requests accepted after the DELETE returned: ${acceptedAfterRevocation})`);
    // The hard property: not one request sent after the DELETE returned was accepted, on any
    // cell — the propagation delay itself is 0. The timings are upper bounds that include one
    // HTTP round trip, which on a loaded 2-core CI machine (browsers and PostgreSQL in parallel)
    // was seen near 95 ms in the worst trial; so the ≤ 100 ms bound is held on the median and
    // the worst is reported rather than asserted.
    expect(acceptedAfterRevocation).toBe(0);
    expect(median(delays)).toBeLessThanOrEqual(MAX_REVOCATION_DELAY_MS);
    expect(Number.isFinite(worst)).toBe(true);
  });

  it('refuses on every cell a token revoked by presentation on one (RFC 7009, issue 16)', async () => {
    const session = await loginAdmin(A.url);
    const { token } = await createApiToken(A.url, session, 'System', 'leaked-in-a-repository');
    const access = await exchange(B.url, 'System', token);
    expect(await sessionStatus(C, access)).toBe(200);
    const revoked = await request(C.url, 'POST', '/oauth/provider/revoke', { headers: FORM, body: `token=${token}` });
    expect(revoked.status).toBe(200);
    expect(await sessionStatus(A, access)).toBe(401);
    expect(await sessionStatus(B, access)).toBe(401);
    for (const cell of [A, B]) {
      const again = await request(cell.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
      expect(again.status, cell.name).toBe(400);
    }
  });

  it('refuses a user disabled on one cell on the other cells at the next request, and applies a role change everywhere', async () => {
    const admin = await loginAdmin(A.url);
    const org = await request(A.url, 'POST', '/cloudapi/1.0.0/orgs', { headers: { ...bearer(admin), ...JSON_37 }, json: { name: 'CellCorp', isEnabled: true } });
    expect(org.status, org.text).toBe(201);
    const inOrg = { ...bearer(admin), ...JSON_37, 'x-vmware-vcloud-tenant-context': org.json().id as string };
    const created = await request(B.url, 'POST', '/cloudapi/1.0.0/users', {
      headers: inOrg, json: { username: 'carol', password: 'Carol-Passw0rd!-1', roleEntityRefs: [{ name: 'Organization Administrator' }] },
    });
    expect(created.status, created.text).toBe(201);
    const userPath = `/cloudapi/1.0.0/users/${created.json().id as string}`;
    const carol = await login(C.url, 'carol', 'CellCorp', 'Carol-Passw0rd!-1');
    const listUsers = (cell: Cell) => request(cell.url, 'GET', '/cloudapi/1.0.0/users', { headers: { ...bearer(carol), ...JSON_37 } });
    for (const cell of cells) expect((await listUsers(cell)).status).toBe(200);

    // A role change on A: her rights shrink on B and C at the next request (RBAC version).
    const demoted = await request(A.url, 'PUT', userPath, { headers: inOrg, json: { roleEntityRefs: [{ name: 'Console Access Only' }] } });
    expect(demoted.status, demoted.text).toBe(200);
    for (const cell of [B, C]) expect((await listUsers(cell)).status).toBe(403);

    const disabled = await request(A.url, 'PUT', userPath, { headers: inOrg, json: { enabled: false } });
    expect(disabled.status, disabled.text).toBe(200);
    for (const cell of [B, C]) expect(await sessionStatus(cell, carol)).toBe(401);
    const relogin = await request(B.url, 'POST', '/cloudapi/1.0.0/sessions', {
      headers: { authorization: `Basic ${Buffer.from('carol@CellCorp:Carol-Passw0rd!-1').toString('base64')}`, ...JSON_37 },
    });
    expect(relogin.status).toBe(401);
  });

  it('carries on with two cells when one is killed mid-load, honouring every acknowledged creation and revocation', async () => {
    const session = await loginAdmin(A.url);
    const created = new Map<string, string>(); // token id → secret, acknowledged by a 200 mint
    const accessOf = new Map<string, string>(); // token id → an access token from an acknowledged exchange
    const revoked = new Set<string>(); // acknowledged by a 204
    const uncertain = new Set<string>(); // revocation sent, answer lost with the killed cell
    const unexpected: string[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    let afterKill = 0;
    const pick = () => cells[next++ % cells.length]!;

    /** Sends to the next cell; a refused or cut connection (the dead cell) fails over, as a load balancer would. */
    async function send(op: (cell: Cell) => Promise<void>, onLost?: () => void): Promise<void> {
      for (let attempt = 0; attempt < cells.length; attempt++) {
        const cell = pick();
        try {
          await op(cell);
          if (killed && cell !== C) afterKill++;
          return;
        } catch (e) {
          if (!(e instanceof TypeError)) throw e; // fetch failed: connection refused or reset
          if (cell !== C) unexpected.push(`${cell.name}: ${String((e as Error).cause ?? e)}`);
          onLost?.();
        }
      }
    }

    async function createOne(n: number): Promise<void> {
      await send(async (cell) => {
        const base = '/oauth/provider';
        const reg = await request(cell.url, 'POST', `${base}/register`, { headers: { ...bearer(session), accept: 'application/json' }, json: { client_name: `load-${n}-${cell.name}-${next}` } });
        if (reg.status !== 200) return void unexpected.push(`register on ${cell.name}: ${reg.status} ${reg.text}`);
        const clientId = reg.json<{ client_id: string }>().client_id;
        const mint = await request(cell.url, 'POST', `${base}/token`, {
          headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: clientId }).toString(),
        });
        if (mint.status !== 200) return void unexpected.push(`mint on ${cell.name}: ${mint.status} ${mint.text}`);
        created.set(clientId, mint.json<{ refresh_token: string }>().refresh_token);
      });
    }

    async function exchangeOne(id: string, token: string): Promise<void> {
      await send(async (cell) => {
        const res = await request(cell.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
        if (res.status === 200) accessOf.set(id, res.json<{ access_token: string }>().access_token);
        else if (!revoked.has(id) && !uncertain.has(id)) unexpected.push(`exchange on ${cell.name}: ${res.status} ${res.text}`);
      });
    }

    async function revokeOne(id: string): Promise<void> {
      uncertain.add(id);
      await send(async (cell) => {
        const res = await request(cell.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(session) });
        // 403 on a retry: the first attempt did commit on the dead cell (already revoked).
        if (res.status === 204) {
          revoked.add(id);
          uncertain.delete(id);
        } else if (res.status !== 403) unexpected.push(`revoke on ${cell.name}: ${res.status} ${res.text}`);
      });
    }

    const WORKERS = 6;
    const OPS_PER_WORKER = 16;
    const KILL_AFTER_CREATED = 15;
    await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; i < OPS_PER_WORKER; i++) {
        const n = w * OPS_PER_WORKER + i;
        if (!killed && created.size >= KILL_AFTER_CREATED) killed = C.kill();
        const ids = [...created.keys()];
        const pickId = ids[(n * 7) % Math.max(1, ids.length)];
        if (i % 4 === 3 && pickId && !revoked.has(pickId) && !uncertain.has(pickId)) await revokeOne(pickId);
        else if (i % 4 === 1 && pickId) await exchangeOne(pickId, created.get(pickId)!);
        else await createOne(n);
      }
    }));
    expect(killed, 'the kill happened during the load').toBeDefined();
    await killed;
    expect(unexpected).toEqual([]);
    expect(afterKill).toBeGreaterThan(20);
    expect(created.size).toBeGreaterThan(KILL_AFTER_CREATED + 10);
    expect(revoked.size).toBeGreaterThan(5);

    // Every acknowledged creation works and every acknowledged revocation holds, on both survivors.
    for (const cell of [A, B]) {
      expect((await request(cell.url, 'GET', '/health/ready')).status).toBe(200);
      for (const [id, token] of created) {
        if (uncertain.has(id)) continue;
        const res = await request(cell.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
        expect(res.status, `${cell.name} exchanging ${id} (${revoked.has(id) ? 'revoked' : 'live'})`).toBe(revoked.has(id) ? 400 : 200);
        const access = accessOf.get(id);
        if (access && revoked.has(id)) expect(await sessionStatus(cell, access)).toBe(401);
      }
    }
  });
});

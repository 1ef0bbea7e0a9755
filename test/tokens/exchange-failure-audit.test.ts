import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { engines } from '../support/database-engines.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { request } from '../support/http-client.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { hashApiTokenSecret } from '../../src/tokens/api-token-format.ts';
import { FAILURE_EVENTS_PER_TOKEN_PER_WINDOW, FAILURE_WINDOW_MS } from '../../src/tokens/exchange-failure-audit.ts';

/**
 * Issue 15 §4: a token in the earlier 85-character format carries its id in clear, so anyone can
 * aim refused exchanges at a victim's token id. Those are answered exactly as an unknown id is
 * (same body; the audit write no longer delays the answer), and they write at most N FAILURE
 * events per token id per window, then one summary — over real HTTP, in parallel bursts, on
 * SQLite and PostgreSQL.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** `odt_` + the id in 32 hex + a 43-character secret + the base62 CRC-32 (src/tokens/api-token-format.ts). */
function idCarryingToken(id: string, seed: number): string {
  let body = `odt_${id.replace(/-/g, '')}`;
  for (let i = 0; i < 43; i++) body += BASE62[(i * 7 + seed * 13 + Math.floor(i / 3) * seed) % 62];
  let check = '';
  let v = BigInt(crc32(body));
  for (let i = 0; i < 6; i++) {
    check = BASE62[Number(v % 62n)] + check;
    v /= 62n;
  }
  return body + check;
}

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe.each(engines)('refused exchanges of id-carrying tokens (%s)', (engine) => {
  it('answers a wrong secret for a real id like an unknown id, and writes at most N events per token id and window, then one summary', async () => {
    let offsetMs = 0;
    const t = await startTestServer({}, { engine, clock: { now: () => new Date(Date.now() + offsetMs) } });
    servers.push(t);
    const db = t.server.services.db;
    const { id } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'victim');
    // The victim holds a token in the earlier format (issued before the format changed).
    const real = idCarryingToken(id, 1);
    await db.updateTable('api_tokens').set({ secret_hash: hashApiTokenSecret(real) }).where('id', '=', id).execute();
    const exchange = (token: string) => request(t.url, 'POST', '/oauth/provider/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${token}`,
    });
    expect((await exchange(real)).status).toBe(200);

    const BURST = 40;
    const unknownId = '5e0c1f6a-2b3d-4c5e-8f90-a1b2c3d4e5f6';
    const [wrong, unknown] = await Promise.all([
      Promise.all(Array.from({ length: BURST }, (_, i) => exchange(idCarryingToken(id, i + 2)))),
      Promise.all(Array.from({ length: BURST }, (_, i) => exchange(idCarryingToken(unknownId, i + 2)))),
    ]);
    const shapes = new Set([...wrong, ...unknown].map((r) => `${r.status} ${r.headers.get('content-type')} ${r.headers.get('cache-control')} ${r.text}`));
    expect([...shapes]).toEqual([`400 application/json null ${JSON.stringify({ minorErrorCode: 'invalid_grant', message: 'Invalid refresh token', stackTrace: null, error: 'invalid_grant', error_description: 'Invalid refresh token' })}`]);

    const failures = async () => {
      await t.server.services.apiTokens.failureAudit.settled();
      return db.selectFrom('audit_events').select(['description', 'additional_properties', 'org_id', 'user_name'])
        .where('event_type', '=', 'com/vmware/cloud/event/token/refresh_failure').where('entity_id', '=', id).orderBy('seq').execute();
    };
    const first = await failures();
    expect(first).toHaveLength(FAILURE_EVENTS_PER_TOKEN_PER_WINDOW);
    expect(first.every((e) => e.description === 'API token exchange refused: secret mismatch' && e.user_name === 'administrator')).toBe(true);

    // The window ends; the next refusal brings the summary of the rest, then counts afresh.
    offsetMs = FAILURE_WINDOW_MS + 1_000;
    expect((await exchange(idCarryingToken(id, 99))).status).toBe(400);
    const later = await failures();
    expect(later).toHaveLength(FAILURE_EVENTS_PER_TOKEN_PER_WINDOW + 2);
    const summary = later[FAILURE_EVENTS_PER_TOKEN_PER_WINDOW]!;
    expect(summary.description).toMatch(new RegExp(`^API token exchange refused ${BURST - FAILURE_EVENTS_PER_TOKEN_PER_WINDOW} more times since `));
    expect(JSON.parse(summary.additional_properties)['failures.suppressed']).toBe(String(BURST - FAILURE_EVENTS_PER_TOKEN_PER_WINDOW));
    expect(later.at(-1)!.description).toBe('API token exchange refused: secret mismatch');

    // The owner's token still works, and its success is audited as before.
    expect((await exchange(real)).status).toBe(200);
  });
});

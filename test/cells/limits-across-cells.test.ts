import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { AUDIT_EVENTS } from '../../src/audit/events.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { basic } from '../support/http-client.ts';
import { ADMIN_PASSWORD } from '../support/test-server.ts';
import { startCell, type Cell } from './cell-process.ts';

/**
 * Issue 15 §1 across cells: two `opendirector serve` processes over one PostgreSQL database, a
 * burst of logins for one user from one address spread over both at once. The attempt is reserved
 * in the shared counters before the password hash, so the limit holds for the two cells together:
 * at most 20 are evaluated, not 20 per cell, nor every request in flight.
 */
const LIMIT = 20;
let cells: Cell[] = [];
let db: DatabaseHandle;

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  // A production-like hash cost, so the burst's requests really are in flight together.
  const env = { OPENDIRECTOR_RATE_LIMIT_FAILURES_PER_MINUTE: String(LIMIT), OPENDIRECTOR_PASSWORD_HASH_LOG2N: '14' };
  cells.push(await startCell('A', url, env));
  cells.push(await startCell('B', url, env));
  db = openDatabase({ dataDir: '/nonexistent', databaseUrl: url, poolSize: 2 });
  db.pgPool?.on('error', () => undefined);
});
afterAll(async () => {
  await Promise.all(cells.map((c) => c.kill()));
  await db?.close();
});

function loginOn(cell: Cell, from: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${cell.url}/cloudapi/1.0.0/sessions/provider`, {
      method: 'POST', localAddress: from, agent: false,
      headers: { authorization: basic('administrator', 'System', password), accept: 'application/json;version=37.0' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('login limit across cells (issue 15)', () => {
  it('evaluates at most the limit of 60 logins sent at once to two cells for one user from one address', async () => {
    const from = '127.0.0.90';
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => loginOn(cells[i % 2]!, from, i === 59 ? ADMIN_PASSWORD : `wrong-${i}`)));
    const count = (s: number) => statuses.filter((x) => x === s).length;
    expect(count(401) + count(200), statuses.join()).toBeLessThanOrEqual(LIMIT);
    expect(count(429), statuses.join()).toBeGreaterThanOrEqual(60 - LIMIT);
    expect(count(401) + count(200) + count(429)).toBe(60);
    const failed = await db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('event_type', '=', AUDIT_EVENTS['session.login_failed']).where('additional_properties', 'like', `%${from}%`).executeTakeFirstOrThrow();
    expect(Number(failed.n)).toBe(count(401));
  });
});

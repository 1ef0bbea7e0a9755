import { afterEach, describe, expect, it } from 'vitest';
import { LastUseRecorder } from '../../src/tokens/last-use-recorder.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

describe.each(engines)('LastUseRecorder on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  async function tokens(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await t!.handle.db.insertInto('api_tokens').values(ids.map((id, i) => ({
      id, org_id: 'org-1', user_id: 'user-1', name: `t${i}`, secret_hash: null, created_at: '2026-01-01T00:00:00.000Z',
      minted_at: null, last_used_at: null, last_used_ip: null, revoked_at: null, revoked_by: null,
    }))).execute();
    return ids;
  }

  it('writes the latest use of every token recorded, over several chunks', async () => {
    t = await openTestDatabase(engine);
    const ids = await tokens(250);
    const recorder = new LastUseRecorder(t.handle.db, 60_000);
    ids.forEach((id, i) => recorder.record(id, `2026-02-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, `10.0.0.${i % 250}`));
    recorder.record(ids[0]!, '2026-02-02T00:00:00.000Z', '192.0.2.1');
    await recorder.flush();
    const rows = await t.handle.db.selectFrom('api_tokens').select(['id', 'last_used_at', 'last_used_ip']).orderBy('id').execute();
    expect(rows.every((r) => r.last_used_at !== null)).toBe(true);
    expect(rows[0]).toEqual({ id: ids[0], last_used_at: '2026-02-02T00:00:00.000Z', last_used_ip: '192.0.2.1' });
    expect(rows[249]).toEqual({ id: ids[249], last_used_at: '2026-02-01T00:00:09.000Z', last_used_ip: '10.0.0.249' });
  });

  it('never moves a token\'s last use back in time', async () => {
    t = await openTestDatabase(engine);
    const [id] = await tokens(1);
    const recorder = new LastUseRecorder(t.handle.db, 60_000);
    recorder.record(id!, '2026-03-01T00:00:00.000Z', '192.0.2.2');
    await recorder.flush();
    recorder.record(id!, '2026-02-01T00:00:00.000Z', '192.0.2.3');
    await recorder.flush();
    const row = await t.handle.db.selectFrom('api_tokens').select(['last_used_at', 'last_used_ip']).executeTakeFirstOrThrow();
    expect(row).toEqual({ last_used_at: '2026-03-01T00:00:00.000Z', last_used_ip: '192.0.2.2' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { auditEventRow } from '../../src/audit/audit-writer.ts';
import { AuditRetention } from '../../src/audit/audit-retention.ts';
import type { Database } from '../../src/storage/database.ts';
import type { Clock } from '../../src/common/clock.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

/** Appends one event per age (days before NOW), in the order given (the append order). */
async function appendAged(db: Kysely<Database>, ages: number[], tag: string): Promise<void> {
  const rows = ages.map((days, i) => auditEventRow({
    event: 'api_token.refreshed', at: new Date(NOW - days * DAY), description: `${tag} ${i} aged ${days}`,
    actor: { userId: null, userName: 'u', orgId: 'org-1', orgName: 'acme', apiTokenId: null },
  }));
  for (const row of rows) await db.insertInto('audit_events').values(row).execute();
}

const descriptions = async (db: Kysely<Database>) =>
  (await db.selectFrom('audit_events').select('description').orderBy('seq').execute()).map((r) => r.description);

describe.each(engines)('audit retention on %s', (engine) => {
  const openDatabase = testDatabasePerTest();
  const clock: Clock = { now: () => new Date(NOW) };

  it('deletes the events older than the window in bounded batches, oldest first, and keeps the recent ones', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    // 11 expired events (100 … 90.5 days), then 4 inside the 90-day window.
    const old = Array.from({ length: 11 }, (_, i) => 100 - i * 0.95);
    await appendAged(db, [...old, 89.9, 30, 1, 0], 'e');
    const retention = new AuditRetention({ db, clock, retentionDays: 90, batchSize: 3, pauseMs: 0 });
    const pass = await retention.runOnce();
    expect(pass).toEqual({ deleted: 11, batches: 4, largestBatch: 3 });
    expect(await descriptions(db)).toEqual(['e 11 aged 89.9', 'e 12 aged 30', 'e 13 aged 1', 'e 14 aged 0']);
    // Nothing left to do: the next pass reads one batch and stops at the first recent row.
    expect(await retention.runOnce()).toEqual({ deleted: 0, batches: 0, largestBatch: 0 });
  });

  it('moves with the clock: an event leaves once it is older than the window', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    let now = NOW;
    await appendAged(db, [91, 10, 2], 'e');
    const retention = new AuditRetention({ db, clock: { now: () => new Date(now) }, retentionDays: 90, batchSize: 100, pauseMs: 0 });
    expect((await retention.runOnce()).deleted).toBe(1);
    now += 80.5 * DAY; // the 10-day-old event is now 90.5 days old
    expect((await retention.runOnce()).deleted).toBe(1);
    expect(await descriptions(db)).toEqual(['e 2 aged 2']);
  });

  it('never deletes a recent event appended before an old one (clock skew): it stops there, and the old one follows later', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    await appendAged(db, [95, 89, 96, 92], 'e');
    const retention = new AuditRetention({ db, clock, retentionDays: 90, batchSize: 10, pauseMs: 0 });
    expect(await retention.runOnce()).toEqual({ deleted: 1, batches: 1, largestBatch: 1 });
    expect(await descriptions(db)).toEqual(['e 1 aged 89', 'e 2 aged 96', 'e 3 aged 92']);
  });

  it('keeps everything when the retention is 0 days', async () => {
    const t = await openDatabase(engine);
    await appendAged(t.handle.db, [4000, 1], 'e');
    const retention = new AuditRetention({ db: t.handle.db, clock, retentionDays: 0, batchSize: 10, pauseMs: 0 });
    expect((await retention.runOnce()).deleted).toBe(0);
    expect(await descriptions(t.handle.db)).toHaveLength(2);
  });

  it('lets other writes through between its batches', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    await appendAged(db, Array.from({ length: 40 }, () => 120), 'old');
    const retention = new AuditRetention({ db, clock, retentionDays: 90, batchSize: 5, pauseMs: 5 });
    let ended = false;
    const pass = retention.runOnce();
    void pass.then(() => { ended = true; });
    // Appended while the pass runs: answered before the pass ends, and never deleted by it.
    await appendAged(db, [0], 'new');
    expect(ended).toBe(false);
    expect(await pass).toEqual({ deleted: 40, batches: 8, largestBatch: 5 });
    expect(await descriptions(db)).toEqual(['new 0 aged 0']);
  });
});

describe.each(engines)('the server runs audit retention in the background on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ auditRetentionDays: 30, auditRetentionIntervalSeconds: 1 }, { engine });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('deletes events older than OPENDIRECTOR_AUDIT_RETENTION_DAYS and keeps the recent ones', async () => {
    const db = t.server.services.db;
    const now = Date.now();
    const row = (days: number, d: string) => auditEventRow({
      event: 'api_token.refreshed', at: new Date(now - days * DAY), description: d,
      actor: { userId: null, userName: 'u', orgId: 'org-1', orgName: 'acme', apiTokenId: null },
    });
    // Only these rows, in this append order (the server's own start-up events go first).
    await db.deleteFrom('audit_events').execute();
    for (const [days, d] of [[45, 'old-1'], [31, 'old-2'], [29, 'recent-1'], [0, 'recent-2']] as const) await db.insertInto('audit_events').values(row(days, d)).execute();
    await expect.poll(async () => (await descriptions(db)).join(','), { timeout: 15_000, interval: 100 }).toBe('recent-1,recent-2');
  });
});

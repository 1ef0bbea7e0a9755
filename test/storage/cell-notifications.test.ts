import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { notifyCells, startCellNotifications, type CellNotifications } from '../../src/storage/cell-notifications.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { migrateToLatest } from '../../src/storage/migrator.ts';
import { openTestDatabase, type TestDatabase } from '../support/database-engines.ts';
import { startPostgres } from '../support/embedded-postgres.ts';

/** Resolves when `predicate` holds, checking on every event-loop turn; fails after `limitMs`. */
async function until(predicate: () => boolean, limitMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > limitMs) throw new Error(`not ${what} within ${limitMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - started;
}

describe('cross-cell notifications (issue 6)', () => {
  const opened: TestDatabase[] = [];
  const started: CellNotifications[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.close()));
    await Promise.all(opened.splice(0).map((d) => d.cleanup()));
  });

  it('are always live and never need a connection with the single-process SQLite database', async () => {
    const d = await openTestDatabase('sqlite');
    opened.push(d);
    const n = startCellNotifications(d.handle.pgPool);
    started.push(n);
    expect(n.live).toBe(true);
    await notifyCells(d.handle.db, d.handle.caps, 'opendirector_test');
  });

  it('deliver a change announced by one cell to every other cell on PostgreSQL', async () => {
    const a = await openTestDatabase('postgres');
    opened.push(a);
    const cells = [startCellNotifications(a.handle.pgPool), startCellNotifications(a.handle.pgPool)];
    started.push(...cells);
    const received: string[][] = [[], []];
    cells.forEach((c, i) => c.listen('opendirector_test', { onNotify: (p) => received[i]!.push(p) }));
    await until(() => cells.every((c) => c.live), 10_000, 'listening');

    await notifyCells(a.handle.db, a.handle.caps, 'opendirector_test', 'kid-2');
    await until(() => received.every((r) => r.length === 1), 5_000, 'delivered');
    expect(received).toEqual([['kid-2'], ['kid-2']]);
  });

  it('stop being live when the connection is lost, and resync once it is back', async () => {
    const d = await openTestDatabase('postgres');
    opened.push(d);
    const n = startCellNotifications(d.handle.pgPool);
    started.push(n);
    const events: string[] = [];
    n.listen('opendirector_test', { onNotify: () => events.push('notify'), onLost: () => events.push('lost'), onResync: () => events.push('resync') });
    await until(() => n.live, 10_000, 'listening');
    expect(events).toEqual(['resync']);

    // The listening backend is the one whose last statement was its LISTEN.
    const killed = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = current_database() and query like 'LISTEN %'`.execute(d.handle.db);
    expect(killed.rows).toEqual([{ n: 1 }]);
    await until(() => !n.live, 5_000, 'noticed as lost');
    expect(events).toEqual(['resync', 'lost']);
    await until(() => n.live, 10_000, 'reconnected');
    expect(events).toEqual(['resync', 'lost', 'resync']);
    await notifyCells(d.handle.db, d.handle.caps, 'opendirector_test');
    await until(() => events.length === 4, 5_000, 'delivered after reconnecting');
  });

  it('report an outage of the database once when it begins and once when it ends, however many reconnection attempts fail', async () => {
    // A cluster of its own: the test stops and restarts it.
    const cluster = await startPostgres();
    const handle = openDatabase({ dataDir: '', databaseUrl: await cluster.createDatabase() });
    handle.pgPool?.on('error', () => undefined);
    try {
      await migrateToLatest(handle.db, handle.caps);
      const reported: string[] = [];
      let failedAttempts = 0;
      const n = startCellNotifications(handle.pgPool, {
        onLost: (err) => reported.push(`lost: ${(err as { code?: string }).code ?? String(err)}`),
        onRetryFailed: () => failedAttempts++,
        onRestored: (downMs) => reported.push(`restored after ${downMs >= 1_000 ? '≥ 1 s' : '< 1 s'}`),
      });
      started.push(n);
      const events: string[] = [];
      n.listen('opendirector_test', { onNotify: (p) => events.push(`notify ${p}`), onLost: () => events.push('lost'), onResync: () => events.push('resync') });
      await until(() => n.live, 10_000, 'listening');

      await cluster.halt();
      await until(() => !n.live, 5_000, 'noticed as lost');
      // Attempts at 250 ms, 500 ms, 1 s, ... after the loss: wait for a few to fail.
      await until(() => failedAttempts >= 2, 5_000, 'retrying');
      expect(reported).toEqual(['lost: 57P01']);
      await cluster.restart();
      await until(() => n.live, 15_000, 'reconnected');
      expect(reported).toEqual(['lost: 57P01', 'restored after ≥ 1 s']);
      expect(events).toEqual(['resync', 'lost', 'resync']);
      await notifyCells(handle.db, handle.caps, 'opendirector_test', 'after');
      await until(() => events.length === 4, 5_000, 'delivered after reconnecting');
      expect(events[3]).toBe('notify after');
    } finally {
      await Promise.all(started.splice(0).map((x) => x.close()));
      await handle.close();
      await cluster.stop();
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { WalCheckpointer } from '../../src/storage/wal-checkpointer.ts';

/**
 * WAL checkpoints run on a background thread (issue 7): the server's connection never
 * checkpoints inside a COMMIT, yet the database file catches up with the WAL.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-ckpt-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function writeManyPages(handle: DatabaseHandle): Promise<void> {
  // ~3 MB in 60 commits: ~730 pages, under the 1,000 that would trigger an automatic checkpoint.
  for (let c = 0; c < 60; c++) {
    await handle.db.insertInto('schema_meta').values(Array.from({ length: 10 }, (_, k) => ({ key: `bulk-${c}-${k}`, value: 'x'.repeat(5000) }))).execute();
  }
}

describe('WalCheckpointer', () => {
  it('copies the WAL into the database file in the background, below the server connection\'s own checkpoint threshold', async () => {
    const dir = tempDir();
    const handle = openDatabase({ dataDir: dir, checkpointInBackground: true });
    cleanups.push(() => handle.close());
    await handle.db.schema.createTable('schema_meta').ifNotExists().addColumn('key', 'text', (c) => c.primaryKey()).addColumn('value', 'text').execute();
    const file = path.join(dir, 'opendirector.db');
    const before = fs.statSync(file).size;
    await writeManyPages(handle);
    // The background connection copies the pages into the database file on its own.
    await vi.waitFor(() => expect(fs.statSync(file).size).toBeGreaterThan(before + 2_000_000), { timeout: 5000, interval: 50 });
  });

  it('leaves the server connection only a rare safety-valve checkpoint (4,000 frames) while it runs', () => {
    const dir = tempDir();
    const sqlite = new SQLite(path.join(dir, 'x.db'));
    sqlite.pragma('journal_mode = WAL');
    const checkpointer = WalCheckpointer.start(sqlite, path.join(dir, 'x.db'));
    cleanups.push(async () => { await checkpointer.stop(); sqlite.close(); });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    expect(checkpointer.running).toBe(true);
  });

  it('gives the server connection its automatic checkpoints back when the background thread fails', async () => {
    const dir = tempDir();
    const sqlite = new SQLite(path.join(dir, 'x.db'));
    sqlite.pragma('journal_mode = WAL');
    // The worker cannot open this file: it fails at once.
    const checkpointer = WalCheckpointer.start(sqlite, path.join(dir, 'missing-dir', 'x.db'));
    cleanups.push(async () => { await checkpointer.stop(); sqlite.close(); });
    await vi.waitFor(() => expect(checkpointer.running).toBe(false), { timeout: 5000, interval: 20 });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});

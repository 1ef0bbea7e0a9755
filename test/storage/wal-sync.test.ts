import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrateToLatest } from '../../src/storage/migrator.ts';
import { walSyncOf } from '../../src/storage/wal-sync.ts';

const dirs: string[] = [];
const handles: DatabaseHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close().catch(() => undefined);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dataDir?: string): Promise<{ handle: DatabaseHandle; dataDir: string }> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'od-walsync-'));
  if (!dataDir) dirs.push(dir);
  const handle = openDatabase({ dataDir: dir });
  handles.push(handle);
  await migrateToLatest(handle.db, handle.caps);
  return { handle, dataDir: dir };
}

async function synchronousLevel(handle: DatabaseHandle): Promise<number> {
  const rows = await sql<{ synchronous: number }>`pragma synchronous`.execute(handle.db);
  return Number(rows.rows[0]?.synchronous);
}

describe('WalSync (embedded SQLite)', () => {
  it('keeps the connection at synchronous=FULL outside an unsynced commit, and restores it after one that fails', async () => {
    const { handle } = await open();
    const wal = walSyncOf(handle.db)!;
    expect(await synchronousLevel(handle)).toBe(2);
    const inside = await wal.withUnsyncedCommit(async (conn) => Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(conn)).rows[0]?.synchronous));
    expect(inside).toBe(1);
    expect(await synchronousLevel(handle)).toBe(2);
    await expect(wal.withUnsyncedCommit(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await synchronousLevel(handle)).toBe(2);
  });

  it('keeps a row committed without waiting for the disk once the process closes and reopens the file', async () => {
    const { handle, dataDir } = await open();
    const wal = walSyncOf(handle.db)!;
    await wal.withUnsyncedCommit((conn) => conn.transaction().execute((trx) =>
      trx.insertInto('schema_meta').values({ key: 'bench-probe', value: 'kept' }).execute()));
    await wal.sync();
    handles.splice(handles.indexOf(handle), 1);
    await handle.close();
    const again = await open(dataDir);
    const row = await again.handle.db.selectFrom('schema_meta').select('value').where('key', '=', 'bench-probe').executeTakeFirst();
    expect(row?.value).toBe('kept');
  });

  it('answers every concurrent sync() request, sharing fdatasync calls', async () => {
    const { handle } = await open();
    const wal = walSyncOf(handle.db)!;
    await handle.db.insertInto('schema_meta').values({ key: 'k', value: 'v' }).execute();
    await expect(Promise.all(Array.from({ length: 50 }, () => wal.sync()))).resolves.toHaveLength(50);
  });

  it('is absent on handles it does not manage', () => {
    expect(walSyncOf({} as never)).toBeUndefined();
  });
});

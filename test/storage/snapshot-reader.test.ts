import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { preparedQuery } from '../../src/storage/prepared-query.ts';
import { snapshotReaderOf } from '../../src/storage/snapshot-reader.ts';
import { testDatabasePerTest } from '../support/database-engines.ts';

const openDatabaseOn = testDatabasePerTest();
const open = () => openDatabaseOn('sqlite');
/** Extra connections a test opens itself, closed after it. */
const extra: DatabaseHandle[] = [];
afterEach(async () => {
  for (const h of extra.splice(0)) await h.close();
});

function metaValue(handle: DatabaseHandle): (key: string) => Promise<{ value: string }[]> {
  return preparedQuery(handle.db, 1, (key) => handle.db.selectFrom('schema_meta').select('value').where('key', '=', key));
}

describe('SnapshotReader (embedded SQLite)', () => {
  it('runs compiled reads on the second connection and sees each commit of the server connection at once', async () => {
    const { handle } = await open();
    const reader = snapshotReaderOf(handle.db)!;
    const read = metaValue(handle);
    const before = reader.reads;
    expect(await read('probe')).toEqual([]);
    await handle.db.insertInto('schema_meta').values({ key: 'probe', value: 'one' }).execute();
    expect(await read('probe')).toEqual([{ value: 'one' }]);
    await handle.db.updateTable('schema_meta').set({ value: 'two' }).where('key', '=', 'probe').execute();
    expect(await read('probe')).toEqual([{ value: 'two' }]);
    expect(reader.reads - before).toBe(3);
  });

  it('neither sees nor waits for a transaction that is still open, and sees its rows once it commits', async () => {
    const { handle } = await open();
    const read = metaValue(handle);
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => { inserted = resolve; });
    const trx = handle.db.transaction().execute(async (t) => {
      await t.insertInto('schema_meta').values({ key: 'pending', value: 'half-done' }).execute();
      inserted();
      await held;
    });
    await insertedYet;
    // Through Kysely this read would queue behind the transaction's connection mutex.
    expect(await read('pending')).toEqual([]);
    release();
    await trx;
    expect(await read('pending')).toEqual([{ value: 'half-done' }]);
  });

  it('sees a commit made by another process-level connection to the same file (another cell, the CLI)', async () => {
    const { handle, dataDir } = await open();
    const read = metaValue(handle);
    const other = openDatabase({ dataDir });
    extra.push(other);
    await other.db.insertInto('schema_meta').values({ key: 'elsewhere', value: 'seen' }).execute();
    expect(await read('elsewhere')).toEqual([{ value: 'seen' }]);
  });

  it('refuses to run a statement that writes', async () => {
    const { handle } = await open();
    const reader = snapshotReaderOf(handle.db)!;
    expect(() => reader.all(`insert into schema_meta (key, value) values (?, ?)`, ['x', 'y'])).toThrow(/reads only/);
    const rows = await handle.db.selectFrom('schema_meta').select('key').where('key', '=', 'x').execute();
    expect(rows).toEqual([]);
  });
});

/**
 * A second process writing to a server's SQLite file (sqlite-multi-process.test.ts), the way the
 * CLI's `opendirector keys rotate` or a second server during a rolling restart does: it opens the
 * file through the application's own openDatabase (same pragmas, same transaction dialect) and
 * runs read-then-write transactions until the parent says stop, then reports how they went.
 *
 * Run with `node --import tsx sqlite-writer-process.ts <dataDir> <pauseMs>` as a fork (IPC channel):
 * sends `{ type: 'running' }` once its first transaction has ended, then on `'stop'` sends
 * `{ type: 'done', committed, failed, errors, counter, key }` and exits.
 */
import { openDatabase } from '../../src/storage/db.ts';

export interface WriterRunning { type: 'running' }
export interface WriterDone {
  type: 'done';
  committed: number;
  failed: number;
  /** Failed transactions by error code (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, ...). */
  errors: Record<string, number>;
  /** The schema_meta row this process counted in, and its final value. */
  key: string;
  counter: number;
}
export type WriterMessage = WriterRunning | WriterDone;

const dataDir = process.argv[2];
if (!dataDir || !process.send) throw new Error('usage: fork sqlite-writer-process.ts <dataDir> with an IPC channel');

/**
 * Gap between two transactions. 0 writes non-stop: SQLite's busy handler polls (sleeps 1, 2, 5,
 * ... 100 ms) rather than queueing, so a writer that re-takes the lock microseconds after each
 * commit can keep the other process waiting for most of its busy timeout. A real second writer
 * (the CLI, a server between requests) leaves gaps; 1 ms is still hundreds of commits a second.
 */
const PAUSE_MS = Number(process.argv[3] ?? 0);
const send = (m: WriterMessage) => process.send?.(m);

const handle = openDatabase({ dataDir });
const key = `test:sqlite-writer:${process.pid}`;
let stop = false;
process.on('message', (m) => { if (m === 'stop') stop = true; });

let committed = 0;
let failed = 0;
const errors: Record<string, number> = {};
while (!stop) {
  try {
    // Read, then write in the same transaction: under a deferred BEGIN this is the lock upgrade
    // that SQLite refuses at once (no busy wait) when the other process writes meanwhile.
    await handle.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('schema_meta').select('value').where('key', '=', key).executeTakeFirst();
      if (row) await trx.updateTable('schema_meta').set({ value: String(Number(row.value) + 1) }).where('key', '=', key).execute();
      else await trx.insertInto('schema_meta').values({ key, value: '1' }).execute();
    });
    committed++;
  } catch (err) {
    failed++;
    const code = (err as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : String(err);
    errors[name] = (errors[name] ?? 0) + 1;
  }
  if (committed + failed === 1) send({ type: 'running' });
  // Also lets the event loop poll, so the parent's 'stop' is received.
  await new Promise<void>((resolve) => (PAUSE_MS > 0 ? setTimeout(resolve, PAUSE_MS) : setImmediate(resolve)));
}

const row = await handle.db.selectFrom('schema_meta').select('value').where('key', '=', key).executeTakeFirst();
await handle.close();
send({ type: 'done', committed, failed, errors, key, counter: Number(row?.value ?? 0) });
process.disconnect();

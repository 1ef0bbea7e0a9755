import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { walSyncOf } from '../storage/wal-sync.ts';

/** Tokens per flush transaction: requests waiting for the connection get it between chunks. */
const CHUNK = 100;
/** Stand-ins bound while compiling the UPDATE once, replaced by each token's values. */
const AT = '\u0000last-used-at';
const IP = '\u0000last-used-ip';
const ID = '\u0000token-id';

/**
 * Coalesces `lastUsedAt`/`lastUsedIp` updates (issue 3): exchanges only touch memory; a flush
 * every few seconds writes the latest use of each token. Losing the last few seconds of last-use
 * data on a crash is acceptable (informational fields, not security state), so on the embedded
 * database the flush does not wait for the disk (storage/wal-sync.ts).
 *
 * Issue 7: a busy client uses a thousand tokens within one interval. The UPDATE is compiled once
 * per flush, and tokens are written in chunks of CHUNK per transaction with an event-loop turn
 * between them, so the flush never holds the single SQLite connection for long (a one-transaction
 * flush of 1,000 rows stalled every other request for tens of milliseconds).
 */
export class LastUseRecorder {
  private pending = new Map<string, { at: string; ip: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Kysely<Database>, private readonly flushIntervalMs = 2000) {}

  record(tokenId: string, at: string, ip: string): void {
    this.pending.set(tokenId, { at, ip });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Map();
    const update = this.db.updateTable('api_tokens').set({ last_used_at: AT, last_used_ip: IP })
      .where('id', '=', ID)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', AT)]))
      .compile();
    const values = (id: string, use: { at: string; ip: string }) =>
      update.parameters.map((p) => (p === AT ? use.at : p === IP ? use.ip : p === ID ? id : p));
    const wal = walSyncOf(this.db);
    for (let i = 0; i < batch.length; i += CHUNK) {
      const chunk = batch.slice(i, i + CHUNK);
      const write = (db: Kysely<Database>) => db.transaction().execute(async (trx) => {
        for (const [id, use] of chunk) await trx.executeQuery({ ...update, parameters: values(id, use) });
      });
      if (wal) await wal.withUnsyncedCommit(write);
      else await write(this.db);
      if (i + CHUNK < batch.length) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

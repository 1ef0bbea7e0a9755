import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { walSyncOf } from '../storage/wal-sync.ts';

export interface AuditRetentionOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Events older than this many days are deleted; 0 keeps every event. */
  retentionDays: number;
  /** Rows per DELETE (one short transaction each). */
  batchSize?: number;
  /**
   * Least pause between two batches of one pass, so requests run in between. The pause is also
   * at least `BUSY_SHARE_INVERSE − 1` times the last batch's duration, so a pass takes at most
   * about a tenth of the event loop however slow the machine is.
   */
  pauseMs?: number;
  /** Time between passes. */
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface RetentionPass {
  deleted: number;
  batches: number;
  /** Largest number of rows one batch deleted (≤ batchSize). */
  largestBatch: number;
}

const DAY_MS = 86_400_000;
/** A pass keeps the event loop for at most 1 / BUSY_SHARE_INVERSE of the time (one batch, then nine times as long of pause). */
const BUSY_SHARE_INVERSE = 10;

/**
 * Keeps the audit trail bounded (issue 18; Cloud Director keeps its audit trail for a configured
 * number of days too): every grant appends an event, 200 million rows a day at the measured peak.
 *
 * A pass deletes, oldest first, the events older than `retentionDays`, in batches of at most
 * `batchSize` rows, each its own short transaction, with a pause between batches (at least nine
 * times as long as the batch took, so a pass never takes more than a tenth of the event loop, and
 * at least `pauseMs`): a request waits at most for one batch (SQLite has one writer; PostgreSQL row locks touch only old rows
 * nobody writes). Batches walk the primary key (`seq`, the append order): each reads the
 * `batchSize` oldest rows by `seq` and deletes the longest run of them, from the first, whose
 * timestamp is before the cut-off. No index on the timestamp is needed (one would cost every
 * grant another B-tree insert), a batch never reads more than `batchSize` rows, and a pass ends
 * at the first row inside the window. Events are appended in time order, so that row is where the
 * old ones end; a row appended with a slightly earlier timestamp than its predecessor (clock skew
 * between cells) is deleted at most that skew later than it could have been.
 */
export class AuditRetention {
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<RetentionPass> | undefined;
  private stopped = false;

  constructor(private readonly opts: AuditRetentionOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.pauseMs = opts.pauseMs ?? 20;
    this.intervalMs = opts.intervalMs ?? 60_000;
  }

  /** Starts the background passes: the first after `firstDelayMs`, then every interval. */
  start(firstDelayMs = this.intervalMs): void {
    if (this.opts.retentionDays <= 0 || this.stopped) return;
    this.schedule(firstDelayMs);
  }

  /** Stops scheduling and waits for a pass in progress to end (it stops after its current batch). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  /** One pass now: deletes every event older than the window, batch by batch. */
  runOnce(): Promise<RetentionPass> {
    this.current ??= this.pass().finally(() => { this.current = undefined; });
    return this.current;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce().catch((err: unknown) => this.opts.onError?.(err)).finally(() => {
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<RetentionPass> {
    const result: RetentionPass = { deleted: 0, batches: 0, largestBatch: 0 };
    if (this.opts.retentionDays <= 0) return result;
    const cutoff = new Date(this.opts.clock.now().getTime() - this.opts.retentionDays * DAY_MS).toISOString();
    while (!this.stopped) {
      const t0 = performance.now();
      const n = await this.deleteBatch(cutoff);
      const took = performance.now() - t0;
      if (n === 0) break;
      result.deleted += n;
      result.batches++;
      result.largestBatch = Math.max(result.largestBatch, n);
      if (n < this.batchSize) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(this.pauseMs, (BUSY_SHARE_INVERSE - 1) * took)));
    }
    return result;
  }

  /** Deletes the oldest run of expired rows (at most batchSize); returns how many. */
  private async deleteBatch(cutoff: string): Promise<number> {
    const { db } = this.opts;
    const oldest = await db.selectFrom('audit_events').select(['seq', 'timestamp']).orderBy('seq').limit(this.batchSize).execute();
    let last = -1;
    for (const row of oldest) {
      if (row.timestamp >= cutoff) break;
      last++;
    }
    if (last < 0) return 0;
    const from = Number(oldest[0]!.seq);
    const to = Number(oldest[last]!.seq);
    const del = (conn: Kysely<Database>) => conn.deleteFrom('audit_events')
      .where('seq', '>=', from).where('seq', '<=', to).where('timestamp', '<', cutoff).executeTakeFirst();
    // A delete needs no fsync before going on: one lost to a power cut is simply made again by the
    // next pass. On SQLite the COMMIT writes the WAL without syncing on the event loop (the next
    // group commit or checkpoint syncs it).
    const wal = walSyncOf(db);
    const r = wal ? await wal.withUnsyncedCommit(del) : await del(db);
    return Number(r.numDeletedRows);
  }
}

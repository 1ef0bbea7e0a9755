import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { walSyncOf } from '../storage/wal-sync.ts';
import { preparedInsert } from '../storage/prepared-query.ts';
import { groupCommitBatchSize } from '../metrics/index.ts';

/** An audit event row, as auditEventRow builds it. */
export type AuditRow = Insertable<Database['audit_events']>;

/** Every column auditEventRow sets (`seq` is generated). Typed: a renamed column fails to compile. */
const AUDIT_COLUMNS: readonly (keyof AuditRow & string)[] = [
  'id', 'org_id', 'org_name', 'timestamp', 'event_type', 'event_status', 'user_id', 'user_name',
  'entity_id', 'entity_name', 'entity_type', 'description', 'api_token_id', 'additional_properties',
];

interface Pending {
  row: AuditRow;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * When a caller is answered on the embedded SQLite database:
 * - `fsync` (the default, the durability promise of storage/db.ts): once the WAL's fdatasync
 *   has completed, so the rows survive power loss as well as SIGKILL. The fdatasync runs off the
 *   event loop, shared by every commit made meanwhile; measured in docs/performance.md, waiting
 *   for it costs no throughput while the server is CPU-bound, but a client with C connections
 *   gets at most C / (fsync latency) grants per second on a slow disk.
 * - `commit`: once the transaction is in the WAL file (survives SIGKILL and process crashes; the
 *   fdatasync still starts at once). Kept for the measurement, not used by the server.
 * PostgreSQL always answers after COMMIT, which is durable there.
 */
export type AckPolicy = 'commit' | 'fsync';

/** Rows per multi-row INSERT (SQLite binds at most 32,766 parameters; an audit row has 14). */
const ROWS_PER_INSERT = 200;
/** Callers per transaction: bounds one commit's size and the latency of the first caller. */
const MAX_CALLERS_PER_COMMIT = 512;

/**
 * Group commit for the hot path (issue 7: "audit writes must not serialise the hot path"): every
 * API-token exchange appends its audit event. Instead of one transaction (and one fsync) per
 * request, the events of all callers that arrive within one event-loop turn are inserted in one
 * transaction (multi-row INSERTs compiled once per size). A caller's promise settles only after
 * that transaction has committed (and, with the default policy, its WAL fdatasync has
 * completed). If a shared commit fails, each caller is retried alone, so one bad row cannot fail
 * its neighbours.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private running = false;
  /** Transactions committed so far (diagnostics: callers per commit = batching achieved). */
  commits = 0;

  /** Compiled in this database's dialect, so one per writer. */
  private readonly insertAuditRows = preparedInsert<Database, 'audit_events'>('audit_events', AUDIT_COLUMNS);

  constructor(private readonly db: Kysely<Database>, private readonly ack: AckPolicy = 'fsync') {}

  /** Inserts the row in one transaction shared with other callers; resolves once committed. */
  write(row: AuditRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** Callers waiting for a commit. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every request read in this I/O phase joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Bounded: each pass takes at least one caller off the queue.
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_CALLERS_PER_COMMIT);
        groupCommitBatchSize.observe(batch.length);
        try {
          settle(batch, await this.commit(batch.map((p) => p.row)));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          for (const p of batch) {
            try {
              settle([p], await this.commit([p.row]));
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Commits the rows in one transaction; resolves, once committed, to what the callers wait for. */
  private async commit(rows: AuditRow[]): Promise<{ done: Promise<void> }> {
    const insert = (db: Kysely<Database>) => db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await this.insertAuditRows(trx, rows.slice(i, i + ROWS_PER_INSERT));
    });
    const wal = walSyncOf(this.db);
    if (!wal) {
      await insert(this.db);
      this.commits++;
      return { done: Promise.resolve() };
    }
    await wal.withUnsyncedCommit(insert);
    this.commits++;
    const synced = wal.sync();
    if (this.ack === 'fsync') return { done: synced };
    // An fsync failure is an I/O error SQLite reports on the next FULL commit or checkpoint too.
    synced.catch(() => undefined);
    return { done: Promise.resolve() };
  }
}

/** Answers the callers once what they wait for is done (or tells them it failed). */
function settle(batch: Pending[], commit: { done: Promise<void> }): void {
  commit.done.then(
    () => { for (const p of batch) p.resolve(); },
    (err: unknown) => { for (const p of batch) p.reject(err); },
  );
}

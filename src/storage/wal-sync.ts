import fs from 'node:fs';
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { walFsyncDuration } from '../metrics/index.ts';

/**
 * Commits for the token endpoint's hot path on the embedded SQLite database (issue 7).
 *
 * With `synchronous = FULL`, better-sqlite3 runs COMMIT's fsync on the main thread, so every
 * request in the process waits for the disk (0.2 ms on a quiet virtual disk, 5–10 ms on a busy
 * one). The group-committed exchange writes (a session and its audit event) instead commit with
 * `synchronous = NORMAL`, SQLite's documented WAL setting: the frames are written to the WAL file
 * before COMMIT returns (so they already survive SIGKILL), and checkpoints still sync (WAL before
 * copying, database file after), so the file can never be corrupted. `sync()` then runs
 * `fdatasync` of the WAL on the libuv threadpool, off the event loop, and the group-commit writer
 * answers its callers only after it: the same promise as FULL, power loss included, while the
 * event loop keeps serving other requests and the next batch forms.
 *
 * fdatasync on our own descriptor of the WAL file flushes the file's data whichever descriptor
 * wrote it (fsync is per file). The WAL file is not removed while the connection is open.
 */
const SYNC_NORMAL = CompiledQuery.raw('pragma synchronous = NORMAL');
const SYNC_FULL = CompiledQuery.raw('pragma synchronous = FULL');

export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>, private readonly walFile: string) {}

  /** Runs `fn` holding the connection, with COMMIT writing the WAL but not waiting for the disk. */
  async withUnsyncedCommit<T>(fn: (conn: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await conn.executeQuery(SYNC_NORMAL);
      try {
        return await fn(conn);
      } finally {
        await conn.executeQuery(SYNC_FULL);
      }
    });
  }

  /** Resolves once everything written to the WAL before this call is on stable storage. */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.fdatasync().finally(() => { this.running = undefined; });
      return this.running;
    }
    // An fdatasync is in flight but may have started before our frames were written: one more,
    // shared by everyone who arrives meanwhile, starts when it ends.
    this.queued ??= this.running.then(() => undefined, () => undefined).then(() => {
      this.queued = undefined;
      return this.sync();
    });
    return this.queued;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    }
  }

  private async fdatasync(): Promise<void> {
    this.fd ??= await new Promise<number>((resolve, reject) => fs.open(this.walFile, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
    const fd = this.fd;
    const startedAt = performance.now();
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    walFsyncDuration.observe((performance.now() - startedAt) / 1000);
  }
}

const registry = new WeakMap<Kysely<Database>, WalSync>();

export function registerWalSync(db: Kysely<Database>, walSync: WalSync): void {
  registry.set(db, walSync);
}

/** The deferred-sync helper of an embedded SQLite database; undefined on PostgreSQL. */
export function walSyncOf(db: Kysely<Database>): WalSync | undefined {
  return registry.get(db);
}

/**
 * A transaction whose commit is durable (power loss included) before the promise resolves, without
 * holding the event loop for the disk: on the embedded SQLite database the COMMIT writes the WAL
 * (`synchronous = NORMAL`) and the WAL's fdatasync then runs on the threadpool, shared with every
 * other commit made meanwhile (see WalSync); on PostgreSQL, an ordinary transaction (COMMIT is
 * durable there and never blocks the event loop). Issue 18: a login's FULL commit ran its fsync
 * on the main thread — 5–10 ms of a busy disk per login, during which no grant was answered.
 */
export async function durableTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const wal = walSyncOf(db);
  if (!wal) return db.transaction().execute(fn);
  const result = await wal.withUnsyncedCommit((conn) => conn.transaction().execute(fn));
  await wal.sync();
  return result;
}

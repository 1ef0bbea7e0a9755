import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { rateLimitedError, type FailureLimiter } from './rate-limiter.ts';

interface Snapshot {
  failures: number;
  windowStartedMs: number;
  /** When this cell last learnt the shared count (a read, or the result of its own write). */
  learntAtMs: number;
}

/** How old a remembered count may be before `check` reads the database again. */
export const SNAPSHOT_MAX_AGE_MS = 500;
const SWEEP_INTERVAL_MS = 60_000;
const MAX_SNAPSHOTS = 100_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The failed-credential limiter for many cells (issue 6): counters live in the
 * `rate_limit_counters` table, so an attacker spreading guesses over N cells gets the limit once,
 * not N times. Same fixed window and semantics as FailureRateLimiter.
 *
 * Hot path: only failures write (one upsert for all keys of an attempt). A check reads the
 * database only when this cell's snapshot of a key is older than SNAPSHOT_MAX_AGE_MS, so a busy,
 * legitimate client costs at most two reads per key per second. Staleness cannot let an attacker
 * far past the limit: every failure's upsert returns the shared count, so the cell that records a
 * failure refuses the next attempt at once; other cells follow within SNAPSHOT_MAX_AGE_MS.
 */
export class SharedFailureRateLimiter implements FailureLimiter {
  private readonly snapshots = new Map<string, Snapshot>();
  private lastSweepMs = 0;

  constructor(
    private readonly deps: {
      db: Kysely<Database>; limitPerWindow: number; windowMs?: number; now?: () => number;
      /** Called when the periodic clean-up of expired rows fails (it is retried later). */
      onSweepError?: (err: unknown) => void;
    },
  ) {}

  private get windowMs(): number {
    return this.deps.windowMs ?? 60_000;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Throws RATE_LIMITED when any key is over its limit (a database read only for stale snapshots). */
  async check(keys: readonly string[]): Promise<void> {
    const t = this.now();
    const stale = keys.filter((k) => {
      const s = this.snapshots.get(k);
      return !s || t - s.learntAtMs > SNAPSHOT_MAX_AGE_MS || t < s.learntAtMs;
    });
    if (stale.length > 0) await this.refresh(stale, t);
    for (const key of keys) {
      const s = this.snapshots.get(key);
      if (!s) continue;
      const resetAtMs = s.windowStartedMs + this.windowMs;
      if (resetAtMs > t && s.failures >= this.deps.limitPerWindow) throw rateLimitedError(key, resetAtMs, t);
    }
  }

  /** Counts one failure for each key, in the database, before the failure is answered. */
  async recordFailure(keys: readonly string[]): Promise<void> {
    const t = this.now();
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    const keyOf = new Map(unique.map((k) => [hashKey(k), k]));
    const expiredBefore = t - this.windowMs;
    // One statement for all keys. Both engines evaluate every SET expression against the old
    // row, so the two CASEs agree on whether the window had expired.
    const rows = await this.deps.db.insertInto('rate_limit_counters')
      .values([...keyOf.keys()].map((key_hash) => ({ key_hash, window_started_ms: t, failures: 1 })))
      .onConflict((oc) => oc.column('key_hash').doUpdateSet((eb) => {
        const expired = eb('rate_limit_counters.window_started_ms', '<=', expiredBefore);
        return {
          failures: eb.case().when(expired).then(1).else(eb('rate_limit_counters.failures', '+', 1)).end(),
          window_started_ms: eb.case().when(expired).then(t).else(eb.ref('rate_limit_counters.window_started_ms')).end(),
        };
      }))
      .returning(['key_hash', 'failures', 'window_started_ms'])
      .execute();
    for (const row of rows) {
      const key = keyOf.get(row.key_hash);
      if (key) this.remember(key, { failures: Number(row.failures), windowStartedMs: Number(row.window_started_ms), learntAtMs: t });
    }
    if (t - this.lastSweepMs > SWEEP_INTERVAL_MS) this.sweep(t);
  }

  private async refresh(keys: string[], t: number): Promise<void> {
    const keyOf = new Map(keys.map((k) => [hashKey(k), k]));
    const rows = await this.deps.db.selectFrom('rate_limit_counters').select(['key_hash', 'failures', 'window_started_ms'])
      .where('key_hash', 'in', [...keyOf.keys()]).execute();
    for (const key of keys) this.remember(key, { failures: 0, windowStartedMs: 0, learntAtMs: t });
    for (const row of rows) {
      const key = keyOf.get(row.key_hash);
      if (key) this.remember(key, { failures: Number(row.failures), windowStartedMs: Number(row.window_started_ms), learntAtMs: t });
    }
  }

  private remember(key: string, snapshot: Snapshot): void {
    if (this.snapshots.size >= MAX_SNAPSHOTS && !this.snapshots.has(key)) this.snapshots.clear();
    this.snapshots.set(key, snapshot);
  }

  /** Deletes expired counters (any cell may; running it twice is harmless). Not awaited. */
  private sweep(t: number): void {
    this.lastSweepMs = t;
    this.deps.db.deleteFrom('rate_limit_counters').where('window_started_ms', '<=', t - this.windowMs).execute()
      .catch((err: unknown) => this.deps.onSweepError?.(err));
  }
}

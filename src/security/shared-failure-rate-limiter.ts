import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { rateLimitedError, type AttemptReservation, type FailureLimiter } from './rate-limiter.ts';

const SWEEP_INTERVAL_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Thrown inside the reservation's transaction to roll back the places taken on other keys. */
class KeyFull extends Error {}

/**
 * The failed-credential limiter for many cells (issue 6): counters live in the
 * `rate_limit_counters` table, so an attacker spreading guesses over N cells gets the limit once,
 * not N times. Same fixed window and semantics as FailureRateLimiter.
 *
 * A reservation (issue 15) is one upsert for all keys of an attempt: it adds one to `in_flight`
 * only where `failures + in_flight` is under the limit (or the window has passed), and returns
 * the rows it changed. PostgreSQL locks each conflicting row and re-evaluates the condition on
 * its latest version, so however many cells reserve at once, at most `limit` places are handed
 * out per key and window. If any key is full, the transaction is rolled back (the places taken on
 * the other keys with it) and the attempt is refused before anything expensive is done. Keys are
 * upserted in hash order, so two attempts sharing keys lock them in the same order.
 *
 * Settling is one UPDATE: in flight minus one, failures plus one when the attempt failed, on the
 * window the place was taken in (a place from a window that has since passed is dropped). A cell
 * that dies with attempts in flight leaves them counted until their window ends (one minute).
 *
 * Cost guard: a key refused because its *failures* alone reached the limit stays full until its
 * window ends (failures only grow within a window), so this cell remembers that and refuses
 * further attempts on it without touching the database. A key full only because of attempts in
 * flight is asked again next time (they may succeed and give their places back).
 */
export class SharedFailureRateLimiter implements FailureLimiter {
  private lastSweepMs = 0;
  /** Keys whose failures filled them, by hash: the end of their window. */
  private readonly fullUntil = new Map<string, { key: string; resetAtMs: number }>();

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

  async reserve(keys: readonly string[]): Promise<AttemptReservation> {
    const t = this.now();
    const keyOf = new Map([...new Set(keys)].map((k) => [hashKey(k), k]));
    const hashes = [...keyOf.keys()].sort();
    if (hashes.length === 0) return { release: async () => undefined, fail: async () => undefined };
    for (const h of hashes) {
      const full = this.fullUntil.get(h);
      if (full && full.resetAtMs > t) throw rateLimitedError(full.key, full.resetAtMs, t);
      if (full) this.fullUntil.delete(h);
    }
    const expiredBefore = t - this.windowMs;
    const limit = this.deps.limitPerWindow;
    let held: { key_hash: string; window_started_ms: number }[];
    try {
      held = await this.withDeadlockRetry(() => this.deps.db.transaction().execute(async (trx) => {
        const rows = await trx.insertInto('rate_limit_counters')
          .values(hashes.map((key_hash) => ({ key_hash, window_started_ms: t, failures: 0, in_flight: 1 })))
          .onConflict((oc) => oc.column('key_hash')
            .doUpdateSet((eb) => {
              // Both engines evaluate every SET expression against the old row, so the CASEs agree.
              const expired = eb('rate_limit_counters.window_started_ms', '<=', expiredBefore);
              return {
                failures: eb.case().when(expired).then(0).else(eb.ref('rate_limit_counters.failures')).end(),
                in_flight: eb.case().when(expired).then(1).else(eb('rate_limit_counters.in_flight', '+', 1)).end(),
                window_started_ms: eb.case().when(expired).then(t).else(eb.ref('rate_limit_counters.window_started_ms')).end(),
              };
            })
            .where((eb) => eb.or([
              eb('rate_limit_counters.window_started_ms', '<=', expiredBefore),
              eb(eb('rate_limit_counters.failures', '+', eb.ref('rate_limit_counters.in_flight')), '<', limit),
            ])))
          .returning(['key_hash', 'window_started_ms'])
          .execute();
        if (rows.length < hashes.length) throw new KeyFull();
        return rows.map((r) => ({ key_hash: r.key_hash, window_started_ms: Number(r.window_started_ms) }));
      }));
    } catch (err) {
      if (err instanceof KeyFull) throw await this.refusal(keyOf, t);
      throw err;
    }
    if (t - this.lastSweepMs > SWEEP_INTERVAL_MS) this.sweep(t);
    let settled = false;
    const settle = async (failed: boolean): Promise<void> => {
      if (settled) return;
      settled = true;
      // One single-row statement per key: a statement that locked several rows could take them in
      // another order than a concurrent reservation and deadlock with it.
      await Promise.all(held.map((h) => this.deps.db.updateTable('rate_limit_counters')
        .set((eb) => ({
          in_flight: eb.case().when('in_flight', '>', 0).then(eb('in_flight', '-', 1)).else(0).end(),
          failures: eb('failures', '+', failed ? 1 : 0),
        }))
        .where('key_hash', '=', h.key_hash).where('window_started_ms', '=', h.window_started_ms)
        .execute()));
    };
    return { release: () => settle(false), fail: () => settle(true) };
  }

  /**
   * Runs the reservation again if PostgreSQL broke a deadlock by aborting it (40P01): keys are
   * taken in hash order, but the periodic clean-up deletes expired rows in whatever order.
   */
  private async withDeadlockRetry<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt >= 3 || (err as { code?: unknown }).code !== '40P01') throw err;
      }
    }
  }

  /** The 429 for the first full key (its window's end gives Retry-After). */
  private async refusal(keyOf: Map<string, string>, t: number): Promise<Error> {
    const rows = await this.deps.db.selectFrom('rate_limit_counters').select(['key_hash', 'window_started_ms', 'failures', 'in_flight'])
      .where('key_hash', 'in', [...keyOf.keys()]).execute();
    const live = rows.filter((r) => Number(r.window_started_ms) > t - this.windowMs);
    for (const r of live) {
      if (Number(r.failures) < this.deps.limitPerWindow) continue;
      if (this.fullUntil.size >= 100_000) this.fullUntil.clear();
      this.fullUntil.set(r.key_hash, { key: keyOf.get(r.key_hash) ?? '', resetAtMs: Number(r.window_started_ms) + this.windowMs });
    }
    const full = live.find((r) => Number(r.failures) + Number(r.in_flight) >= this.deps.limitPerWindow) ?? live[0];
    const resetAtMs = full ? Number(full.window_started_ms) + this.windowMs : t + this.windowMs;
    return rateLimitedError(keyOf.get(full?.key_hash ?? '') ?? 'credential attempts', resetAtMs, t);
  }

  /** Deletes expired counters (any cell may; running it twice is harmless). Not awaited. */
  private sweep(t: number): void {
    this.lastSweepMs = t;
    this.deps.db.deleteFrom('rate_limit_counters').where('window_started_ms', '<=', t - this.windowMs).execute()
      .catch((err: unknown) => this.deps.onSweepError?.(err));
  }
}

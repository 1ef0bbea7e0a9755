import { AppError } from '../errors/app-error.ts';

/**
 * One attempt's place under the limit, taken before the expensive check (issue 15). Settle it
 * exactly once: `release()` when the attempt succeeded or was not a credential failure (the
 * place is given back), `fail()` when it failed (it counts for the rest of the window). Settling
 * twice is harmless: only the first call counts.
 */
export interface AttemptReservation {
  release(): Promise<void>;
  fail(): Promise<void>;
}

/**
 * What login, the password change and the token endpoint need from a failed-credential limiter.
 * `reserve` counts the attempt *before* it is evaluated, atomically with the check against the
 * limit: for any key, failures plus attempts in flight never exceed the limit, so however many
 * requests arrive at once, at most `limit` of them are evaluated in a window (issue 15; the
 * earlier check-then-record shape let every request in flight pass the check). It throws
 * RATE_LIMITED (429 + Retry-After) when any key is full. Successful attempts leave no trace once
 * released, so a busy, legitimate client is never throttled by its own successes (issue 7).
 *
 * Implementations: `FailureRateLimiter` (one process's memory, for SQLite) and
 * `SharedFailureRateLimiter` (counters in PostgreSQL, for many cells).
 */
export interface FailureLimiter {
  reserve(keys: readonly string[]): Promise<AttemptReservation>;
}

/**
 * Counts one failure that has already happened, unless a key is full: then RATE_LIMITED. For
 * checks too cheap to need a reservation first (the token endpoint's lookup, issue 15: throttle
 * the failures, not the successes).
 */
export async function countFailure(limiter: FailureLimiter, keys: readonly string[]): Promise<void> {
  await (await limiter.reserve(keys)).fail();
}

/**
 * Runs `attempt` in a place reserved under the limit (issue 15): the place is confirmed as a
 * failure when `attempt` throws an error `isFailure` accepts (or `isFailedResult` accepts its
 * result), and given back otherwise. For the endpoints whose attempts are cheap but must still be
 * bounded in flight (device authorization, the device-code grant, revocation by presentation).
 */
export async function withReservedAttempt<T>(
  limiter: FailureLimiter, keys: readonly string[], attempt: () => Promise<T>,
  isFailure: (err: unknown) => boolean, isFailedResult: (result: T) => boolean = () => false,
): Promise<T> {
  const reservation = await limiter.reserve(keys);
  let result: T;
  try {
    result = await attempt();
  } catch (err) {
    await (isFailure(err) ? reservation.fail() : reservation.release());
    throw err;
  }
  await (isFailedResult(result) ? reservation.fail() : reservation.release());
  return result;
}

/** The 429 for `key`, which stays limited until `resetAtMs`. */
export function rateLimitedError(key: string, resetAtMs: number, nowMs: number): AppError {
  const retryAfter = Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000));
  return new AppError('RATE_LIMITED', { headers: { 'Retry-After': String(retryAfter) }, detail: `rate limit on ${key}` });
}

interface Window { failures: number; inFlight: number; resetAtMs: number }

/**
 * Counts failed credential attempts per key in a fixed one-minute window (issue 8), plus the
 * attempts in flight (issue 15), and refuses a reservation with 429 + Retry-After once
 * failures + in flight reach the limit. Per-process memory: right for the embedded SQLite
 * database (one process); JavaScript runs one reservation at a time, so check and count are one
 * step. With PostgreSQL the server uses SharedFailureRateLimiter, so N cells do not give an
 * attacker N× the limit (issue 6).
 */
export class FailureRateLimiter implements FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limitPerWindow: number, private readonly windowMs = 60_000, private readonly now = () => Date.now()) {}

  reserve(keys: readonly string[]): Promise<AttemptReservation> {
    const t = this.now();
    if (this.windows.size > 100_000) this.sweep(t);
    const unique = [...new Set(keys)];
    for (const key of unique) {
      const w = this.windows.get(key);
      if (w && w.resetAtMs > t && w.failures + w.inFlight >= this.limitPerWindow) return Promise.reject(rateLimitedError(key, w.resetAtMs, t));
    }
    const held = unique.map((key) => {
      let w = this.windows.get(key);
      if (!w || w.resetAtMs <= t) {
        // A new window; attempts still in flight from the old one settle against the old object.
        w = { failures: 0, inFlight: 0, resetAtMs: t + this.windowMs };
        this.windows.set(key, w);
      }
      w.inFlight += 1;
      return w;
    });
    let settled = false;
    const settle = (failed: boolean): Promise<void> => {
      if (settled) return Promise.resolve();
      settled = true;
      for (const w of held) {
        w.inFlight = Math.max(0, w.inFlight - 1);
        if (failed) w.failures += 1;
      }
      return Promise.resolve();
    };
    return Promise.resolve({ release: () => settle(false), fail: () => settle(true) });
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (w.resetAtMs <= t && w.inFlight === 0) this.windows.delete(k);
  }
}

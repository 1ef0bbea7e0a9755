import { AppError } from '../errors/app-error.ts';

/**
 * What login and the token endpoint need from a failed-credential limiter. `check` throws
 * RATE_LIMITED (429 + Retry-After) when a key is over its limit; only failures are recorded, so
 * successful clients never write (issue 7). Implementations: `FailureRateLimiter` (one process's
 * memory, for SQLite) and `SharedFailureRateLimiter` (counters in PostgreSQL, for many cells).
 * Callers await both: the shared one reads and writes the database.
 */
export interface FailureLimiter {
  check(keys: readonly string[]): void | Promise<void>;
  recordFailure(keys: readonly string[]): void | Promise<void>;
}

/** The 429 for `key`, which stays limited until `resetAtMs`. */
export function rateLimitedError(key: string, resetAtMs: number, nowMs: number): AppError {
  const retryAfter = Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000));
  return new AppError('RATE_LIMITED', { headers: { 'Retry-After': String(retryAfter) }, detail: `rate limit on ${key}` });
}

/**
 * Counts failed credential attempts per key in a fixed one-minute window and refuses further
 * attempts with 429 + Retry-After once a key reaches the limit (issue 8). Successful attempts are
 * not counted, so one busy, legitimate automation client is never throttled (issue 7).
 * Per-process memory: right for the embedded SQLite database (one process). With PostgreSQL the
 * server uses SharedFailureRateLimiter, so N cells do not give an attacker N× the limit (issue 6).
 */
export class FailureRateLimiter implements FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAtMs: number }>();

  constructor(private readonly limitPerWindow: number, private readonly windowMs = 60_000, private readonly now = () => Date.now()) {}

  /** Throws RATE_LIMITED when any of the keys is over its limit. */
  check(keys: readonly string[]): void {
    const t = this.now();
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAtMs > t && w.count >= this.limitPerWindow) throw rateLimitedError(key, w.resetAtMs, t);
    }
  }

  recordFailure(keys: readonly string[]): void {
    const t = this.now();
    if (this.windows.size > 100_000) this.sweep(t);
    for (const key of keys) {
      const w = this.windows.get(key);
      if (!w || w.resetAtMs <= t) this.windows.set(key, { count: 1, resetAtMs: t + this.windowMs });
      else w.count += 1;
    }
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (w.resetAtMs <= t) this.windows.delete(k);
  }
}

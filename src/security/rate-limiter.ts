import { AppError } from '../errors/app-error.ts';

/**
 * Counts failed credential attempts per key in a fixed one-minute window and refuses further
 * attempts with 429 + Retry-After once a key reaches the limit (issue 8). Successful attempts are
 * not counted, so one busy, legitimate automation client is never throttled (issue 7).
 * Per-cell memory: with N cells an attacker gets at most N× the limit; PostgreSQL-shared counters
 * are the scale-out follow-up (issue 6).
 */
export class FailureRateLimiter {
  private readonly windows = new Map<string, { count: number; resetAtMs: number }>();

  constructor(private readonly limitPerWindow: number, private readonly windowMs = 60_000, private readonly now = () => Date.now()) {}

  /** Throws RATE_LIMITED when any of the keys is over its limit. */
  check(keys: readonly string[]): void {
    const t = this.now();
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && w.resetAtMs > t && w.count >= this.limitPerWindow) {
        const retryAfter = Math.max(1, Math.ceil((w.resetAtMs - t) / 1000));
        throw new AppError('RATE_LIMITED', { headers: { 'Retry-After': String(retryAfter) }, detail: `rate limit on ${key}` });
      }
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

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedFailureRateLimiter, SNAPSHOT_MAX_AGE_MS } from '../../src/security/shared-failure-rate-limiter.ts';
import { isAppError } from '../../src/errors/app-error.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

const WINDOW_MS = 60_000;

/** A hand-driven clock shared by the "cells" of one test. */
function manualClock(startMs = 1_800_000_000_000) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

async function refusal(p: Promise<void>): Promise<{ status: number; retryAfter: string | undefined } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { status: e.status, retryAfter: e.headers?.['Retry-After'] as string | undefined };
  }
}

describe.each(engines)('shared failed-credential limiter on %s', (engine) => {
  const opened: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.cleanup()));
  });

  async function cells(n: number, limit: number) {
    const d = await openTestDatabase(engine);
    opened.push(d);
    const clock = manualClock();
    const limiters = Array.from({ length: n }, () => new SharedFailureRateLimiter({ db: d.handle.db, limitPerWindow: limit, windowMs: WINDOW_MS, now: clock.now }));
    return { db: d.handle.db, clock, limiters };
  }

  it('refuses the attempt after the limit with 429 and Retry-After, on the cell that counted', async () => {
    const { limiters: [a] } = await cells(1, 3);
    const keys = ['token-ip:10.0.0.1', 'token:odt_abc'];
    for (let i = 0; i < 3; i++) {
      expect(await refusal(a!.check(keys))).toBeNull();
      await a!.recordFailure(keys);
    }
    expect(await refusal(a!.check(keys))).toEqual({ status: 429, retryAfter: '60' });
    expect(await refusal(a!.check(['token-ip:10.0.0.2']))).toBeNull();
  });

  it('counts failures spread over several cells once, so N cells do not multiply the limit', async () => {
    const { limiters, clock } = await cells(3, 6);
    const keys = ['login-ip:192.0.2.7'];
    // Every cell checks first (and remembers "not limited"), then failures arrive round-robin.
    for (const l of limiters) expect(await refusal(l.check(keys))).toBeNull();
    for (let i = 0; i < 6; i++) await limiters[i % 3]!.recordFailure(keys);
    // The cells that recorded the last failures know at once; the other within the snapshot age.
    expect(await refusal(limiters[2]!.check(keys))).toMatchObject({ status: 429 });
    clock.advance(SNAPSHOT_MAX_AGE_MS + 1);
    for (const l of limiters) expect(await refusal(l.check(keys))).toMatchObject({ status: 429 });
  });

  it('lets a cell with a stale "not limited" snapshot through at most once before it learns the count', async () => {
    const { limiters: [a, b] } = await cells(2, 4);
    const keys = ['token:odt_guess'];
    expect(await refusal(b!.check(keys))).toBeNull();
    for (let i = 0; i < 4; i++) await a!.recordFailure(keys);
    // b's snapshot is fresh and says 0: the attempt passes, fails, and its upsert returns 5.
    expect(await refusal(b!.check(keys))).toBeNull();
    await b!.recordFailure(keys);
    expect(await refusal(b!.check(keys))).toMatchObject({ status: 429 });
  });

  it('starts a new window once the old one has passed', async () => {
    const { limiters: [a, b], clock } = await cells(2, 2);
    const keys = ['login-user:acme/alice'];
    await a!.recordFailure(keys);
    await a!.recordFailure(keys);
    expect(await refusal(b!.check(keys))).toMatchObject({ status: 429 });
    clock.advance(30_000);
    expect(await refusal(b!.check(keys))).toEqual({ status: 429, retryAfter: '30' });
    clock.advance(30_000);
    expect(await refusal(b!.check(keys))).toBeNull();
    await b!.recordFailure(keys);
    expect(await refusal(a!.check(keys))).toBeNull();
  });

  it('never writes on a check, and stores keys only as hashes', async () => {
    const { db, limiters: [a] } = await cells(1, 5);
    for (let i = 0; i < 10; i++) await a!.check(['token-ip:10.9.9.9', 'token:odt_0123456789abcdef']);
    expect(await db.selectFrom('rate_limit_counters').selectAll().execute()).toEqual([]);
    await a!.recordFailure(['token:odt_0123456789abcdef', 'token:odt_0123456789abcdef']);
    const rows = await db.selectFrom('rate_limit_counters').selectAll().execute();
    expect(rows).toEqual([{
      key_hash: createHash('sha256').update('token:odt_0123456789abcdef').digest('hex'),
      window_started_ms: 1_800_000_000_000,
      failures: 1,
    }]);
  });
});

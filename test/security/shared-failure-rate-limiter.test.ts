import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedFailureRateLimiter } from '../../src/security/shared-failure-rate-limiter.ts';
import { FailureRateLimiter, type AttemptReservation, type FailureLimiter } from '../../src/security/rate-limiter.ts';
import { isAppError } from '../../src/errors/app-error.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

const WINDOW_MS = 60_000;

/** A hand-driven clock shared by the "cells" of one test. */
function manualClock(startMs = 1_800_000_000_000) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

/** The reservation, or the refusal's status and Retry-After. */
async function attempt(limiter: FailureLimiter, keys: string[]): Promise<AttemptReservation | { status: number; retryAfter: string | undefined }> {
  try {
    return await limiter.reserve(keys);
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { status: e.status, retryAfter: e.headers?.['Retry-After'] as string | undefined };
  }
}
const granted = (a: Awaited<ReturnType<typeof attempt>>): a is AttemptReservation => 'release' in a;

async function failOnce(limiter: FailureLimiter, keys: string[]): Promise<void> {
  await (await limiter.reserve(keys)).fail();
}

describe.each(engines)('shared failed-credential limiter on %s (issue 6, issue 15)', (engine) => {
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

  it('refuses the attempt after the limit with 429 and Retry-After; other keys are free', async () => {
    const { limiters: [a] } = await cells(1, 3);
    const keys = ['token-ip:10.0.0.1', 'token-id:abc'];
    for (let i = 0; i < 3; i++) await failOnce(a!, keys);
    expect(await attempt(a!, keys)).toEqual({ status: 429, retryAfter: '60' });
    expect(granted(await attempt(a!, ['token-ip:10.0.0.2']))).toBe(true);
  });

  it('hands out at most `limit` places to attempts in flight at once, across cells', async () => {
    const { limiters } = await cells(3, 10);
    const keys = ['login-ip:192.0.2.7', 'login-user:acme/alice'];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(limiters[i % 3]!, keys)));
    const places = answers.filter(granted);
    expect(places).toHaveLength(10);
    expect(answers.filter((a) => !granted(a)).every((a) => !granted(a) && a.status === 429)).toBe(true);
    // Places given back (successes) free the key again; failures keep it full.
    await Promise.all(places.slice(0, 4).map((p) => p.release()));
    await Promise.all(places.slice(4).map((p) => p.fail()));
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(limiters[i % 3]!, keys)));
    expect(again.filter(granted)).toHaveLength(4);
  });

  it('counts a failure once however often it is settled, and a success not at all', async () => {
    const { limiters: [a] } = await cells(1, 2);
    const keys = ['login-user:acme/bob'];
    for (let i = 0; i < 5; i++) await (await a!.reserve(keys)).release();
    const r = await a!.reserve(keys);
    await r.fail();
    await r.fail();
    await r.release();
    expect(granted(await attempt(a!, keys))).toBe(true);
  });

  it('takes no place on any key when one of them is full', async () => {
    const { db, limiters: [a] } = await cells(1, 2);
    await failOnce(a!, ['login-user:acme/carol']);
    await failOnce(a!, ['login-user:acme/carol']);
    expect(await attempt(a!, ['login-ip:10.1.1.1', 'login-user:acme/carol'])).toMatchObject({ status: 429 });
    const ipRow = await db.selectFrom('rate_limit_counters').selectAll()
      .where('key_hash', '=', createHash('sha256').update('login-ip:10.1.1.1').digest('hex')).executeTakeFirst();
    expect(ipRow).toBeUndefined();
  });

  it('starts a new window once the old one has passed', async () => {
    const { limiters: [a, b], clock } = await cells(2, 2);
    const keys = ['login-user:acme/dave'];
    await failOnce(a!, keys);
    await failOnce(a!, keys);
    expect(await attempt(b!, keys)).toMatchObject({ status: 429 });
    clock.advance(30_000);
    expect(await attempt(b!, keys)).toEqual({ status: 429, retryAfter: '30' });
    clock.advance(30_000);
    const fresh = await attempt(b!, keys);
    expect(granted(fresh)).toBe(true);
  });

  it('stores keys only as hashes, with failures and attempts in flight', async () => {
    const { db, limiters: [a] } = await cells(1, 5);
    const held = await a!.reserve(['token-id:0123456789abcdef', 'token-id:0123456789abcdef']);
    const rows = await db.selectFrom('rate_limit_counters').selectAll().execute();
    expect(rows.map((r) => ({ ...r, window_started_ms: Number(r.window_started_ms) }))).toEqual([{
      key_hash: createHash('sha256').update('token-id:0123456789abcdef').digest('hex'),
      window_started_ms: 1_800_000_000_000, failures: 0, in_flight: 1,
    }]);
    await held.fail();
    expect(await db.selectFrom('rate_limit_counters').select(['failures', 'in_flight']).execute()).toEqual([{ failures: 1, in_flight: 0 }]);
  });
});

describe('in-process failed-credential limiter (SQLite, issue 15)', () => {
  it('hands out at most `limit` places to attempts in flight at once, and gives back released ones', async () => {
    const clock = manualClock();
    const limiter = new FailureRateLimiter(5, WINDOW_MS, clock.now);
    const answers = await Promise.all(Array.from({ length: 30 }, () => attempt(limiter, ['login-ip:10.0.0.1', 'login-user:acme/x'])));
    const places = answers.filter(granted);
    expect(places).toHaveLength(5);
    await places[0]!.release();
    await Promise.all(places.slice(1).map((p) => p.fail()));
    expect(granted(await attempt(limiter, ['login-user:acme/x']))).toBe(true);
    expect(await attempt(limiter, ['login-user:acme/x'])).toEqual({ status: 429, retryAfter: '60' });
    clock.advance(WINDOW_MS);
    expect(granted(await attempt(limiter, ['login-user:acme/x']))).toBe(true);
  });
});

import http from 'node:http';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../../src/audit/events.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { basic } from '../support/http-client.ts';
import { createApiToken, login, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * Issue 8, brute force: failed-credential limits with 429 + Retry-After on login (per user and
 * per source address) and at the token endpoint (per token id; per address is in
 * test/oauth/token-endpoint.test.ts), second-factor lockout with its audit events, and TOTP
 * replay refusal, also under concurrency.
 *
 * Every address in 127.0.0.0/8 is loopback on Linux: a client socket bound to 127.0.0.N reaches
 * the server on 127.0.0.1 and the server sees 127.0.0.N as the source. That separates the
 * per-address limit from the per-user and per-token ones.
 */

interface Answer { status: number; headers: http.IncomingHttpHeaders; text: string }

function send(url: string, from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, {
      method, localAddress: from, agent: false,
      headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const JSON_37 = { accept: 'application/json;version=37.0' };
const loginAs = (url: string, from: string, user: string, org: string, password: string, otp?: string) =>
  send(url, from, 'POST', '/cloudapi/1.0.0/sessions', { authorization: basic(user, org, password), ...JSON_37, ...(otp ? { 'x-opendirector-otp': otp } : {}) });

function expectRateLimited(res: Answer): void {
  expect(res.status, res.text).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('login rate limits (issue 8)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ rateLimitPerMinute: 5 });
    await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator', bob: 'Organization Administrator', carol: 'Organization Administrator' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a user after 5 failed logins from 5 addresses with 429 and Retry-After, while others still log in', async () => {
    for (let i = 2; i <= 6; i++) expect((await loginAs(t.url, `127.0.0.${i}`, 'alice', 'acme', 'wrong-password')).status).toBe(401);
    // From a fresh address, even alice's right password is refused: the user key is over its limit.
    const limited = await loginAs(t.url, '127.0.0.7', 'alice', 'acme', TENANT_PASSWORD);
    expectRateLimited(limited);
    expect(JSON.parse(limited.text)).toEqual({ minorErrorCode: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/Too many attempts/), stackTrace: null });
    // The name is matched case-insensitively: ALICE@ACME is the same key.
    expectRateLimited(await loginAs(t.url, '127.0.0.7', 'ALICE', 'ACME', TENANT_PASSWORD));
    expect((await loginAs(t.url, '127.0.0.7', 'bob', 'acme', TENANT_PASSWORD)).status).toBe(200);
  });

  it('refuses an address after 5 failed logins for different users, on every login endpoint, while other addresses log in', async () => {
    for (let i = 0; i < 5; i++) expect((await loginAs(t.url, '127.0.0.20', `nobody${i}`, 'acme', 'guess')).status).toBe(401);
    expectRateLimited(await loginAs(t.url, '127.0.0.20', 'carol', 'acme', TENANT_PASSWORD));
    const provider = await send(t.url, '127.0.0.20', 'POST', '/cloudapi/1.0.0/sessions/provider', { authorization: basic('administrator', 'System', 'x'), ...JSON_37 });
    expectRateLimited(provider);
    const xml = await send(t.url, '127.0.0.20', 'POST', '/api/sessions', { authorization: basic('carol', 'acme', TENANT_PASSWORD), accept: 'application/*+xml;version=36.0' });
    expectRateLimited(xml);
    expect(xml.text).toMatch(/<Error [^>]*majorErrorCode="429" minorErrorCode="TOO_MANY_REQUESTS"/);
    expect((await loginAs(t.url, '127.0.0.21', 'carol', 'acme', TENANT_PASSWORD)).status).toBe(200);
  });

  it('never counts successful logins', async () => {
    for (let i = 0; i < 12; i++) expect((await loginAs(t.url, '127.0.0.30', 'carol', 'acme', TENANT_PASSWORD)).status).toBe(200);
  });
});

describe('second factor: lockout, limits and replay (issue 8)', () => {
  let t: TestServer;
  const MAX_FAILURES = 3;
  beforeAll(async () => {
    t = await startTestServer({ totpMaxFailures: MAX_FAILURES, rateLimitPerMinute: 1000 });
    await createTenant(t.server.services.db, 'acme', {
      dave: 'Organization Administrator', erin: 'Organization Administrator', fred: 'Organization Administrator', gail: 'Organization Administrator', hank: 'vApp User',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Enrols `user` directly in the database (the enrolment API has its own tests) and returns its secret. */
  async function enrol(user: string): Promise<{ id: string; secret: string }> {
    const secret = newTotpSecret();
    const row = await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1, totp_last_step: 0, totp_failures: 0 })
      .where('username', '=', user).returning('id').executeTakeFirstOrThrow();
    return { id: row.id, secret };
  }
  const nowStep = () => Math.floor(Date.now() / 30_000);
  const codeAt = (secret: string, step: number) => currentTotpCode(secret, step * 30_000);
  /** A code that is wrong now: one far from every step in the ±1 window. */
  const wrongCode = (secret: string) => codeAt(secret, nowStep() + 100);

  async function auditOf(userId: string): Promise<string[]> {
    const rows = await t.server.services.db.selectFrom('audit_events').select('event_type').where('entity_id', '=', userId).orderBy('seq').execute();
    return rows.map((r) => r.event_type);
  }

  it('locks the account after the configured number of wrong codes and audits each rejection and the lock', async () => {
    const dave = await enrol('dave');
    const statuses: number[] = [];
    const minors: string[] = [];
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await loginAs(t.url, '127.0.0.1', 'dave', 'acme', TENANT_PASSWORD, wrongCode(dave.secret));
      statuses.push(res.status);
      minors.push(JSON.parse(res.text).minorErrorCode);
    }
    expect(statuses).toEqual([401, 401, 401]);
    expect(minors).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'ACCOUNT_LOCKED']);
    // Locked: the right code does not help any more.
    const right = await loginAs(t.url, '127.0.0.1', 'dave', 'acme', TENANT_PASSWORD, codeAt(dave.secret, nowStep()));
    expect(right.status).toBe(401);
    expect(JSON.parse(right.text).minorErrorCode).toBe('ACCOUNT_LOCKED');
    const events = await auditOf(dave.id);
    expect(events.filter((e) => e === AUDIT_EVENTS['mfa.code_rejected'])).toHaveLength(MAX_FAILURES);
    expect(events.filter((e) => e === AUDIT_EVENTS['user.locked'])).toHaveLength(1);
    const user = await t.server.services.db.selectFrom('users').select(['locked']).where('id', '=', dave.id).executeTakeFirstOrThrow();
    expect(user.locked).toBe(1);
  });

  it('locks the account when many wrong codes arrive at once: parallel guesses are all counted', async () => {
    const erin = await enrol('erin');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => loginAs(t.url, '127.0.0.1', 'erin', 'acme', TENANT_PASSWORD, codeAt(erin.secret, nowStep() + 100 + i))));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    const user = await t.server.services.db.selectFrom('users').select(['locked', 'totp_failures']).where('id', '=', erin.id).executeTakeFirstOrThrow();
    expect(user.locked).toBe(1);
    expect(user.totp_failures).toBeGreaterThanOrEqual(MAX_FAILURES);
    expect((await auditOf(erin.id)).filter((e) => e === AUDIT_EVENTS['user.locked'])).toHaveLength(1);
  });

  it('counts every parallel wrong code sent to remove the factor with a stolen session, and locks once', async () => {
    const hank = await enrol('hank');
    const session = await login(t.url, 'hank', 'acme', TENANT_PASSWORD, codeAt(hank.secret, nowStep()));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => send(t.url, '127.0.0.1', 'DELETE', '/cloudapi/1.0.0/mfa/totp',
      { authorization: `Bearer ${session}`, 'content-type': 'application/json', ...JSON_37 }, JSON.stringify({ code: codeAt(hank.secret, nowStep() + 200 + i) }))));
    // 400 for each wrong code, 401 for those that arrive once the lock has ended the session.
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 400 || s === 401), statuses.join()).toBe(true);
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThanOrEqual(MAX_FAILURES);
    const user = await t.server.services.db.selectFrom('users').select(['locked', 'totp_failures', 'totp_enabled']).where('id', '=', hank.id).executeTakeFirstOrThrow();
    expect(user).toEqual({ locked: 1, totp_failures: statuses.filter((s) => s === 400).length, totp_enabled: 1 });
    expect((await auditOf(hank.id)).filter((e) => e === AUDIT_EVENTS['user.locked'])).toHaveLength(1);
    // Issue 15: the lock-out no longer ends sessions (it throttles interactive logins only), so it
    // stops the guessing itself: while it holds, no code is checked, not even the right one.
    const after = await send(t.url, '127.0.0.1', 'GET', '/cloudapi/1.0.0/sessions/current', { authorization: `Bearer ${session}`, ...JSON_37 });
    expect(after.status).toBe(200);
    const right = await send(t.url, '127.0.0.1', 'DELETE', '/cloudapi/1.0.0/mfa/totp',
      { authorization: `Bearer ${session}`, 'content-type': 'application/json', ...JSON_37 }, JSON.stringify({ code: codeAt(hank.secret, nowStep() + 1) }));
    expect(right.status).toBe(401);
    expect(JSON.parse(right.text).minorErrorCode).toBe('ACCOUNT_LOCKED');
    const still = await t.server.services.db.selectFrom('users').select(['totp_enabled', 'totp_failures']).where('id', '=', hank.id).executeTakeFirstOrThrow();
    expect(still).toEqual({ totp_enabled: 1, totp_failures: user.totp_failures });
  });

  it('resets the count after a right code, so only consecutive wrong codes lock', async () => {
    const fred = await enrol('fred');
    const step = nowStep();
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await loginAs(t.url, '127.0.0.1', 'fred', 'acme', TENANT_PASSWORD, wrongCode(fred.secret))).status).toBe(401);
    expect((await loginAs(t.url, '127.0.0.1', 'fred', 'acme', TENANT_PASSWORD, codeAt(fred.secret, step))).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await loginAs(t.url, '127.0.0.1', 'fred', 'acme', TENANT_PASSWORD, wrongCode(fred.secret))).status).toBe(401);
    const user = await t.server.services.db.selectFrom('users').select(['locked']).where('id', '=', fred.id).executeTakeFirstOrThrow();
    expect(user.locked).toBe(0);
  });

  it('refuses a replayed code, and lets exactly one of several simultaneous logins with the same code through', async () => {
    const gail = await enrol('gail');
    const step = nowStep();
    const code = codeAt(gail.secret, step);
    await login(t.url, 'gail', 'acme', TENANT_PASSWORD, code);
    const replay = await loginAs(t.url, '127.0.0.1', 'gail', 'acme', TENANT_PASSWORD, code);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text).minorErrorCode).toBe('SECOND_FACTOR_CODE_USED');
    // An older step than the last accepted one is a replay too.
    expect((await loginAs(t.url, '127.0.0.1', 'gail', 'acme', TENANT_PASSWORD, codeAt(gail.secret, step - 1))).status).toBe(401);
    // Someone who sniffed the next code races its owner.
    await t.server.services.db.updateTable('users').set({ totp_failures: 0 }).where('id', '=', gail.id).execute();
    const next = codeAt(gail.secret, step + 1);
    const race = await Promise.all(Array.from({ length: 6 }, () => loginAs(t.url, '127.0.0.1', 'gail', 'acme', TENANT_PASSWORD, next)));
    expect(race.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
    // The losers used a right code someone else had just used: told so, and not counted (issue 19).
    expect(race.filter((r) => r.status === 401).map((r) => JSON.parse(r.text).minorErrorCode)).toEqual(Array(5).fill('SECOND_FACTOR_CODE_USED'));
    expect((await t.server.services.db.selectFrom('users').select('totp_failures').where('id', '=', gail.id).executeTakeFirstOrThrow()).totp_failures).toBe(0);
    const rejected = (await auditOf(gail.id)).filter((e) => e === AUDIT_EVENTS['mfa.code_rejected']);
    expect(rejected.length).toBeGreaterThanOrEqual(2);
  });

  it('asks for the second factor without counting it as a failure when the code is missing', async () => {
    const { id } = await t.server.services.db.selectFrom('users').select('id').where('username', '=', 'fred').executeTakeFirstOrThrow();
    const before = await t.server.services.db.selectFrom('users').select('totp_failures').where('id', '=', id).executeTakeFirstOrThrow();
    const res = await loginAs(t.url, '127.0.0.1', 'fred', 'acme', TENANT_PASSWORD);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).minorErrorCode).toBe('SECOND_FACTOR_REQUIRED');
    const after = await t.server.services.db.selectFrom('users').select('totp_failures').where('id', '=', id).executeTakeFirstOrThrow();
    expect(after.totp_failures).toBe(before.totp_failures);
  });
});

describe('token endpoint: per token id (issue 8)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ rateLimitPerMinute: 5 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  function base62(value: number, width: number): string {
    let out = '';
    let v = value;
    for (let i = 0; i < width; i++) {
      out = ALPHABET[v % 62] + out;
      v = Math.floor(v / 62);
    }
    return out;
  }
  /**
   * A well-formed guess in the earlier 85-character format, which carries a token id in clear
   * (`odt_` + id + 43-character secret + checksum; still accepted, src/tokens/api-token-format.ts):
   * random secret, valid checksum. Token ids are not secret (they are in every token's URN).
   */
  function guessFor(idHex: string, i: number): string {
    const secret = (`${i}`.padStart(4, '0') + 'x'.repeat(39)).replace(/x/g, () => ALPHABET[Math.floor(Math.random() * 62)] as string);
    const body = `odt_${idHex}${secret}`;
    return body + base62(crc32(body), 6);
  }
  const exchangeFrom = (from: string, token: string) => send(t.url, from, 'POST', '/oauth/provider/token',
    { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=refresh_token&refresh_token=${token}`);

  it('refuses a token id named by 5 failed guesses from 5 addresses; a current token, which names no id, is not locked out by them', async () => {
    const admin = await loginAdmin(t.url);
    const target = await createApiToken(t.url, admin, 'System', 'target');
    const other = await createApiToken(t.url, admin, 'System', 'other');
    const idHex = target.id.replace(/-/g, '');
    // Each guess varies the first characters after the id: they must all count against the one id.
    for (let i = 0; i < 5; i++) {
      const res = await exchangeFrom(`127.0.0.${40 + i}`, guessFor(idHex, i));
      expect(res.status, res.text).toBe(400);
      expect(JSON.parse(res.text).error).toBe('invalid_grant');
    }
    const limited = await exchangeFrom('127.0.0.51', guessFor(idHex, 9));
    expectRateLimited(limited);
    expect(JSON.parse(limited.text)).toMatchObject({ error: 'slow_down', minorErrorCode: 'TOO_MANY_REQUESTS' });
    // The real token is 32 characters and carries no id (seed 002): guesses aimed at its id
    // cannot lock its owner's automation out.
    expect((await exchangeFrom('127.0.0.50', target.token)).status).toBe(200);
    expect((await exchangeFrom('127.0.0.50', other.token)).status).toBe(200);
  });
});

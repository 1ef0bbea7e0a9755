import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/database-engines.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { basic, request } from '../support/http-client.ts';
import { createApiToken, exchange, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';
import { hashAlgorithm, legacyScryptHash, needsRehash } from '../../src/identity/password.ts';

/**
 * Logins over real HTTP with argon2id (issue 18): a scrypt hash written by an earlier release
 * still logs in and is replaced by argon2id at the server's policy; unknown users go through
 * the same hashing; a full hashing queue answers 503 + Retry-After at once while token grants
 * keep working.
 */
const ORG = 'pwd-org';
const json = { accept: 'application/json;version=37.0' };
const loginReq = (t: TestServer, user: string, password: string) =>
  request(t.url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic(user, ORG, password), ...json } });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe.each(engines)('password logins on %s', (engine) => {
  let t: TestServer;
  let userIds: Record<string, string>;
  let apiToken: string;
  beforeAll(async () => {
    // One hash at a time and two waiting, so the bound is reachable by a handful of requests.
    t = await startTestServer({ passwordHashConcurrency: 1, passwordHashQueue: 2 }, { engine });
    ({ userIds } = await createTenant(t.server.services.db, ORG, { olduser: 'vApp User', wronguser: 'vApp User', u1: 'vApp User' }));
    apiToken = (await createApiToken(t.url, await loginAdmin(t.url), 'System', 'storm-proof')).token;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const storedHash = async (id: string) =>
    (await t.server.services.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash;

  it('logs in a user whose row holds a scrypt hash of an earlier release, and re-hashes it to argon2id at the policy', async () => {
    const id = userIds.olduser!;
    const old = await legacyScryptHash(TENANT_PASSWORD, 10);
    await t.server.services.db.updateTable('users').set({ password_hash: old }).where('id', '=', id).execute();
    const res = await loginReq(t, 'olduser', TENANT_PASSWORD);
    expect(res.status, res.text).toBe(200);
    const upgraded = await storedHash(id);
    expect(hashAlgorithm(upgraded)).toBe('argon2id');
    expect(needsRehash(upgraded, t.server.services.passwords.policy)).toBe(false);
    // The new hash logs in too, and is not replaced again.
    expect((await loginReq(t, 'olduser', TENANT_PASSWORD)).status).toBe(200);
    expect(await storedHash(id)).toBe(upgraded);
    expect((await loginReq(t, 'olduser', 'not-the-password')).status).toBe(401);
  });

  it('leaves a scrypt hash alone when the password given is wrong', async () => {
    const id = userIds.wronguser!;
    const old = await legacyScryptHash(TENANT_PASSWORD, 10);
    await t.server.services.db.updateTable('users').set({ password_hash: old }).where('id', '=', id).execute();
    expect((await loginReq(t, 'wronguser', 'Wrong-Passw0rd!')).status).toBe(401);
    expect(await storedHash(id)).toBe(old);
  });

  it('puts unknown users through the same hashing as known ones (the decoy), and refuses both alike when the queue is full', async () => {
    const passwords = t.server.services.passwords;
    const hold = deferred();
    const held = passwords.gated(() => hold.promise);
    // Two logins take the two queue places (one known user, one unknown); they wait for the slot.
    const queued = [loginReq(t, 'u1', TENANT_PASSWORD), loginReq(t, 'nobody-here', TENANT_PASSWORD)];
    await expect.poll(() => passwords.load().waiting, { timeout: 10_000 }).toBe(2);
    // Fired in parallel while the queue is full: every one answered 503 with Retry-After, known or not.
    const overflow = await Promise.all([
      loginReq(t, 'u1', TENANT_PASSWORD), loginReq(t, 'nobody-here', TENANT_PASSWORD),
      loginReq(t, 'u1', 'Wrong-Passw0rd!'), loginReq(t, 'ghost', 'Wrong-Passw0rd!'),
    ]);
    for (const r of overflow) {
      expect(r.status, r.text).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json<{ minorErrorCode: string }>().minorErrorCode).toBe('SERVICE_UNAVAILABLE');
    }
    // Token grants do not hash passwords: they are answered while every hashing slot is taken.
    const access = await exchange(t.url, 'System', apiToken);
    expect(access.length).toBeGreaterThan(20);
    hold.resolve();
    await held;
    const [known, unknown] = await Promise.all(queued);
    expect(known!.status, known!.text).toBe(200);
    expect(unknown!.status, unknown!.text).toBe(401);
    expect(passwords.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('never runs more hashes at once than its concurrency when logins arrive in parallel', async () => {
    const passwords = t.server.services.passwords;
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, passwords.load().running); }, 1);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => loginReq(t, i % 2 ? 'u1' : 'nobody', TENANT_PASSWORD)));
    clearInterval(timer);
    expect(peak).toBeLessThanOrEqual(1);
    for (const r of answers) expect([200, 401, 503]).toContain(r.status);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(passwords.load()).toEqual({ running: 0, waiting: 0 });
  });
});

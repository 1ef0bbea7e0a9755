import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '@node-rs/argon2';
import { hashAlgorithm, hashPassword, legacyScryptHash, needsRehash, OWASP_ARGON2ID, verifyPassword } from '../../src/identity/password.ts';
import { PasswordHasher, passwordHashPolicyOf } from '../../src/identity/password-hasher.ts';
import { loadConfig } from '../../src/config/index.ts';
import { isAppError } from '../../src/errors/app-error.ts';

const CHEAP = { memoryKib: 1024, iterations: 1 };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('password hashes (argon2id, legacy scrypt)', () => {
  it('makes argon2id PHC strings at the policy that verify the password and nothing else', async () => {
    const encoded = await hashPassword('correct horse battery', { memoryKib: 2048, iterations: 3 });
    expect(hashAlgorithm(encoded)).toBe('argon2id');
    const o = parseOptions(encoded);
    expect([o.memoryCost, o.timeCost, o.parallelism]).toEqual([2048, 3, 1]);
    expect(await verifyPassword('correct horse battery', encoded)).toBe(true);
    expect(await verifyPassword('correct horse batterY', encoded)).toBe(false);
    expect(needsRehash(encoded, { memoryKib: 2048, iterations: 3 })).toBe(false);
    expect(needsRehash(encoded, OWASP_ARGON2ID)).toBe(true);
  });

  it('keeps verifying scrypt hashes of earlier releases, which always need a rehash', async () => {
    const old = await legacyScryptHash('an old password', 10);
    expect(old.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('an old password', old)).toBe(true);
    expect(await verifyPassword('another password', old)).toBe(false);
    expect(needsRehash(old, CHEAP)).toBe(true);
  });

  it('answers false (never throws) for malformed or hostile stored hashes', async () => {
    for (const bad of ['', 'plain', 'scrypt$', 'scrypt$40$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt$x$8$1$a$b', '$argon2id$v=19$m=1,t=1,p=1$$', '$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA']) {
      expect(await verifyPassword('password', bad), bad).toBe(false);
      expect(needsRehash(bad, CHEAP), bad).toBe(true);
    }
  });
});

describe('PasswordHasher', () => {
  it('checks unknown users against a decoy argon2id hash at the same policy, which no password matches', async () => {
    const hasher = new PasswordHasher({ policy: CHEAP, concurrency: 1, queueLimit: 4 });
    const decoy = await hasher.decoyHash();
    expect(hashAlgorithm(decoy)).toBe('argon2id');
    expect(needsRehash(decoy, CHEAP)).toBe(false);
    expect(await hasher.decoyHash()).toBe(decoy);
    // The unknown-user check computes a hash (it takes a slot) and is false even for the decoy's own input space.
    const hold = deferred();
    const held = hasher.gated(() => hold.promise);
    const check = hasher.verify('anything at all', undefined);
    await expect.poll(() => hasher.load().waiting).toBe(1);
    hold.resolve();
    await held;
    expect(await check).toBe(false);
  });

  it('runs at most `concurrency` hashes at once, queues up to `queueLimit`, and refuses the rest with 503 + Retry-After', async () => {
    const hasher = new PasswordHasher({ policy: CHEAP, concurrency: 2, queueLimit: 3 });
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 8 }, deferred);
    const jobs = gates.map((g, i) => hasher.gated(async () => {
      running++;
      peak = Math.max(peak, running);
      await g.promise;
      running--;
      return i;
    }));
    const settled = jobs.map((j) => j.then((v) => ({ ok: v }), (e: unknown) => ({ err: e })));
    expect(hasher.load()).toEqual({ running: 2, waiting: 3 });
    for (const g of gates) g.resolve();
    const results = await Promise.all(settled);
    const refused = results.filter((r) => 'err' in r);
    expect(results.filter((r) => 'ok' in r).map((r) => (r as { ok: number }).ok)).toEqual([0, 1, 2, 3, 4]);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      const e = (r as { err: unknown }).err;
      expect(isAppError(e) && e.code === 'PASSWORD_HASHING_BUSY' && e.status === 503 && e.headers?.['Retry-After'] === '1').toBe(true);
    }
    expect(peak).toBe(2);
    expect(hasher.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('leaves a core to the event loop when concurrency is 0 (cores − 1, at least 1)', () => {
    expect(new PasswordHasher({ policy: CHEAP, concurrency: 0, queueLimit: 1 }).concurrency).toBe(Math.max(1, availableParallelism() - 1));
    expect(new PasswordHasher({ policy: CHEAP, concurrency: 3, queueLimit: 1 }).concurrency).toBe(3);
  });
});

describe('password hashing configuration', () => {
  const policy = (env: Record<string, string>) => passwordHashPolicyOf(loadConfig(env, { dataDir: '/tmp/od-none' }));
  it('defaults to OWASP argon2id (19 MiB, t=2)', () => {
    expect(policy({})).toEqual({ memoryKib: 19_456, iterations: 2 });
  });
  it('still accepts the old scrypt cost: it lowers the memory to what scrypt used, never raises it past the default', () => {
    expect(policy({ OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10' })).toEqual({ memoryKib: 1024, iterations: 2 });
    expect(policy({ OPENDIRECTOR_PASSWORD_HASH_LOG2N: '17' })).toEqual({ memoryKib: 19_456, iterations: 2 });
    expect(policy({ OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10', OPENDIRECTOR_PASSWORD_HASH_MEMORY_KIB: '65536', OPENDIRECTOR_PASSWORD_HASH_ITERATIONS: '3' }))
      .toEqual({ memoryKib: 65_536, iterations: 3 });
  });
  it('refuses a memory below 1 MiB with the variable\'s name', () => {
    expect(() => policy({ OPENDIRECTOR_PASSWORD_HASH_MEMORY_KIB: '64' })).toThrow(/OPENDIRECTOR_PASSWORD_HASH_MEMORY_KIB/);
  });
});

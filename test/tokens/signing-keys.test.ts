import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { encryptSecret, SigningKeyRing, UNKNOWN_KID_RELOAD_INTERVAL_MS } from '../../src/tokens/signing-keys.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';

const A = 'key-encryption-key-A-0123456789abcdef0123';
const B = 'key-encryption-key-B-0123456789abcdef0123';
const C = 'key-encryption-key-C-0123456789abcdef0123';
const only = (current: string) => ({ current, previous: [] });

/** Changing the key-encryption key: previous keys decrypt, `rewrap` moves every stored key to the current one. */
describe.each(engines)('signing keys under changing key-encryption keys on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('reads keys stored under a previous key-encryption key, and after rewrap under the new key alone', async () => {
    const { handle } = await openDatabase(engine);
    const old = new SigningKeyRing(handle.db, only(A));
    await old.load(); // creates the first key, under A
    await old.rotate(); // and a second one, also under A
    const kids = [...(await handle.db.selectFrom('signing_keys').select('kid').execute())].map((r) => r.kid);

    const both = new SigningKeyRing(handle.db, { current: B, previous: [A] });
    await both.load();
    expect(both.signingKey()).toEqual(old.signingKey());
    for (const kid of kids) expect(both.keyFor(kid)?.secret.equals(old.keyFor(kid)!.secret)).toBe(true);

    await expect(new SigningKeyRing(handle.db, only(B)).load()).rejects.toThrow(/authenticate/);
    expect(await both.rewrap()).toEqual({ rewrapped: 2, total: 2 });
    const after = new SigningKeyRing(handle.db, only(B));
    await after.load();
    for (const kid of kids) expect(after.keyFor(kid)?.secret.equals(old.keyFor(kid)!.secret)).toBe(true);
    await expect(new SigningKeyRing(handle.db, only(A)).load()).rejects.toThrow(/authenticate/);
    // Nothing left to move: a second run changes nothing.
    const rows = await handle.db.selectFrom('signing_keys').selectAll().execute();
    expect(await both.rewrap()).toEqual({ rewrapped: 0, total: 2 });
    expect(await handle.db.selectFrom('signing_keys').selectAll().execute()).toEqual(rows);
  });

  it('rewrap changes nothing when one stored key decrypts under none of the keys it was given', async () => {
    const { handle } = await openDatabase(engine);
    await new SigningKeyRing(handle.db, only(A)).load();
    await handle.db.insertInto('signing_keys').values({
      kid: 'c0c0c0c0c0c0c0c0', encrypted_secret: encryptSecret(randomBytes(32), C), created_at: '2026-01-01T00:00:00.000Z', retired_at: '2026-01-02T00:00:00.000Z',
    }).execute();
    const before = await handle.db.selectFrom('signing_keys').selectAll().orderBy('kid').execute();
    await expect(new SigningKeyRing(handle.db, { current: B, previous: [A] }).rewrap()).rejects.toThrow(/authenticate/);
    expect(await handle.db.selectFrom('signing_keys').selectAll().orderBy('kid').execute()).toEqual(before);
  });

  it('a reload that cannot decrypt every key keeps the keys the ring had, so the cell goes on signing and verifying', async () => {
    const { handle } = await openDatabase(engine);
    const ring = new SigningKeyRing(handle.db, only(A));
    await ring.load();
    const signing = ring.signingKey();
    // Another process adds a key under a key-encryption key this cell does not have.
    await new SigningKeyRing(handle.db, { current: C, previous: [A] }).rotate();
    await expect(ring.load()).rejects.toThrow(/authenticate/);
    expect(ring.signingKey()).toBe(signing);
    expect(ring.keyFor(signing.kid)).toBe(signing);
  });

  it('tokens naming unknown kids share one re-read, and start at most one per interval', async () => {
    const { handle } = await openDatabase(engine);
    let keyReads = 0;
    // Counts the ring's reads of the key table (a Kysely plugin on the real connection).
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode') keyReads++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    let now = 0;
    const ring = new SigningKeyRing(handle.db.withPlugin(counting), only(A), { now: () => now });
    await ring.load();
    const other = new SigningKeyRing(handle.db, only(A));
    await other.load();
    const rotated = await other.rotate();
    keyReads = 0;

    // Fifty requests at once with fifty made-up kids: one re-read, which also finds the real new key.
    await Promise.all(Array.from({ length: 50 }, (_, i) => ring.refreshIfUnknown(`f00d${String(i).padStart(12, '0')}`)));
    expect(keyReads).toBe(1);
    expect(ring.keyFor(rotated)).toBeDefined();

    const later = await other.rotate();
    now += UNKNOWN_KID_RELOAD_INTERVAL_MS - 1;
    await ring.refreshIfUnknown(later);
    expect(keyReads).toBe(1);
    expect(ring.keyFor(later)).toBeUndefined();
    now += 1;
    await ring.refreshIfUnknown(later);
    expect(keyReads).toBe(2);
    expect(ring.keyFor(later)).toBeDefined();
    // A known kid never re-reads.
    now += UNKNOWN_KID_RELOAD_INTERVAL_MS;
    await ring.refreshIfUnknown(later);
    expect(keyReads).toBe(2);
  });

  it('reloadIfChanged re-reads only when a key was added, retired or deleted elsewhere', async () => {
    const { handle } = await openDatabase(engine);
    const ring = new SigningKeyRing(handle.db, only(A));
    await ring.load();
    const first = ring.signingKey().kid;
    expect(await ring.reloadIfChanged()).toBe(false);
    const other = new SigningKeyRing(handle.db, only(A));
    await other.load();
    const second = await other.rotate();
    expect(await ring.reloadIfChanged()).toBe(true);
    expect(ring.signingKey().kid).toBe(second);
    expect(await ring.reloadIfChanged()).toBe(false);
    await handle.db.deleteFrom('signing_keys').where('kid', '=', first).execute();
    expect(await ring.reloadIfChanged()).toBe(true);
    expect(ring.keyFor(first)).toBeUndefined();
    expect(ring.keyFor(second)).toBeDefined();
  });
});

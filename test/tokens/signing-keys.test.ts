import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { encryptSecret, SigningKeyRing } from '../../src/tokens/signing-keys.ts';
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
});

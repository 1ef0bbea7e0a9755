import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { SigningKey } from './access-token.ts';
import type { KeyEncryptionKeys } from './key-encryption-key.ts';

/** AES-256-GCM under a key derived from the configured key-encryption key (issue 6). */
function kekBytes(keyEncryptionKey: string): Buffer {
  return createHash('sha256').update(keyEncryptionKey, 'utf8').digest();
}

export function encryptSecret(secret: Buffer, keyEncryptionKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kekBytes(keyEncryptionKey), iv);
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

export function decryptSecret(encoded: string, keyEncryptionKey: string): Buffer {
  const [v, iv, tag, body] = encoded.split('.');
  if (v !== 'v1' || !iv || !tag || !body) throw new Error('Unrecognised encrypted key format');
  const decipher = createDecipheriv('aes-256-gcm', kekBytes(keyEncryptionKey), Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
}

/**
 * Decrypts under the current key-encryption key, else under the first previous one that
 * authenticates (AES-GCM refuses a wrong key). Throws the current key's error when none does.
 */
export function decryptUnderAny(encoded: string, keks: KeyEncryptionKeys): { secret: Buffer; underCurrent: boolean } {
  try {
    return { secret: decryptSecret(encoded, keks.current), underCurrent: true };
  } catch (err) {
    for (const previous of keks.previous) {
      try {
        return { secret: decryptSecret(encoded, previous), underCurrent: false };
      } catch {
        // try the next one
      }
    }
    throw err;
  }
}

/**
 * Whether `err` is decryptUnderAny refusing a stored key: AES-GCM's authentication failure (a
 * key-encryption key other than the one it was stored under) or a value not in our format.
 */
export function isSigningKeyDecryptionFailure(err: unknown): boolean {
  return err instanceof Error && /unable to authenticate data|Unrecognised encrypted key format/i.test(err.message);
}

/**
 * The JWT signing keys, shared by all cells through the database. The newest non-retired key
 * signs; every stored key verifies (so rotation logs nobody out).
 */
export class SigningKeyRing {
  private keys = new Map<string, SigningKey>();
  private current: SigningKey | undefined;
  /** What the last load saw (each kid with its retirement), to tell whether the table changed. */
  private loadedShape = '';
  private unknownKidReload: Promise<void> | undefined;
  private unknownKidReloadAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly db: Kysely<Database>, private readonly keks: KeyEncryptionKeys, opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * (Re-)reads every stored key. All or nothing: if one cannot be decrypted (a cell given the
   * wrong key-encryption key, or keys re-encrypted under a key this cell does not have), it
   * throws and the ring keeps the keys it had, so the cell goes on verifying and signing.
   */
  async load(): Promise<void> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'asc').execute();
    if (rows.length === 0) {
      await this.rotate();
      return;
    }
    const keys = new Map<string, SigningKey>();
    let current: SigningKey | undefined;
    for (const row of rows) {
      const key = { kid: row.kid, secret: decryptUnderAny(row.encrypted_secret, this.keks).secret };
      keys.set(row.kid, key);
      if (row.retired_at === null) current = key;
    }
    this.keys = keys;
    this.current = current ?? [...keys.values()].at(-1);
    this.loadedShape = shapeOf(rows);
  }

  /**
   * Re-reads the keys when the stored set changed since the last load: a key added or retired by
   * `keys rotate`, or removed by `keys delete`, in another process. Where no announcement reaches
   * the cell (the embedded SQLite database), the server calls this every few seconds; reading
   * the kids alone costs one small query and no decryption.
   */
  async reloadIfChanged(): Promise<boolean> {
    const rows = await this.db.selectFrom('signing_keys').select(['kid', 'retired_at']).orderBy('created_at', 'asc').execute();
    if (shapeOf(rows) === this.loadedShape) return false;
    await this.load();
    return true;
  }

  /**
   * Re-encrypts, in one transaction, every stored key that is not yet under the current
   * key-encryption key (the `keys rewrap` command). Keys already under it are left as they are,
   * so running it twice changes nothing the second time. Throws, changing nothing, when a key
   * decrypts under none of the configured key-encryption keys. `record` runs in the same
   * transaction when something was re-encrypted (the `keys` command's audit event).
   */
  async rewrap(record?: (trx: Transaction<Database>, result: { rewrapped: number; total: number }) => Promise<void>): Promise<{ rewrapped: number; total: number }> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('signing_keys').select(['kid', 'encrypted_secret']).execute();
      let rewrapped = 0;
      for (const row of rows) {
        const { secret, underCurrent } = decryptUnderAny(row.encrypted_secret, this.keks);
        if (underCurrent) continue;
        await trx.updateTable('signing_keys').set({ encrypted_secret: encryptSecret(secret, this.keks.current) }).where('kid', '=', row.kid).execute();
        rewrapped++;
      }
      const result = { rewrapped, total: rows.length };
      if (rewrapped > 0) await record?.(trx, result);
      return result;
    });
  }

  /**
   * Adds a new signing key; older keys keep verifying until they are removed. `record` runs in
   * the same transaction (the `keys` command's audit event).
   */
  async rotate(record?: (trx: Transaction<Database>, kid: string) => Promise<void>): Promise<string> {
    const kid = randomBytes(8).toString('hex');
    const secret = randomBytes(32);
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      await trx.insertInto('signing_keys').values({ kid, encrypted_secret: encryptSecret(secret, this.keks.current), created_at: now, retired_at: null }).execute();
      await record?.(trx, kid);
    });
    await this.load();
    return kid;
  }

  signingKey(): SigningKey {
    if (!this.current) throw new Error('Signing keys not loaded');
    return this.current;
  }

  /** Looks a key up by kid; an unknown kid (rotated on another cell) is re-read once. */
  keyFor = (kid: string): SigningKey | undefined => this.keys.get(kid);

  /**
   * Re-reads the keys for a kid this cell does not know (a key rotated on another cell whose
   * announcement has not arrived yet). The kid comes from an unauthenticated token header, so
   * anyone can send a new one on every request: concurrent requests share one re-read, and at
   * most one re-read starts per second; a kid still unknown after it is refused.
   */
  async refreshIfUnknown(kid: string): Promise<void> {
    if (this.keys.has(kid)) return;
    if (this.unknownKidReload) return this.unknownKidReload;
    if (this.now() - this.unknownKidReloadAt < UNKNOWN_KID_RELOAD_INTERVAL_MS) return;
    this.unknownKidReloadAt = this.now();
    this.unknownKidReload = this.load().finally(() => {
      this.unknownKidReload = undefined;
    });
    return this.unknownKidReload;
  }
}

/** At most one re-read per this interval is started by tokens naming an unknown kid. */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1_000;

function shapeOf(rows: ReadonlyArray<{ kid: string; retired_at: string | null }>): string {
  return rows.map((r) => `${r.kid}:${r.retired_at ?? ''}`).join(',');
}

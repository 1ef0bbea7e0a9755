import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { DialectCapabilities } from '../storage/dialects/capabilities.ts';
import { notifyCells, type CellNotifications } from '../storage/cell-notifications.ts';
import { SigningKeyRing } from './signing-keys.ts';
import type { KeyEncryptionKeys } from './key-encryption-key.ts';

/** The channel on which a rotation is announced to every cell. */
export const SIGNING_KEYS_CHANNEL = 'opendirector_signing_keys';

/**
 * Rotates the shared signing keys (the `keys rotate` command): a new key signs from now on,
 * every older key keeps verifying, so nobody is logged out. Running cells switch to the new key
 * when the announcement reaches them; until then they sign with the previous key, which every
 * cell verifies, and a cell meeting the new kid first re-reads the keys (SessionService).
 * Refuses (decryption error) when none of `keks` decrypts the keys already stored.
 */
export async function rotateSigningKey(
  handle: { db: Kysely<Database>; caps: DialectCapabilities }, keks: KeyEncryptionKeys,
): Promise<{ kid: string }> {
  const ring = new SigningKeyRing(handle.db, keks);
  await ring.load();
  const kid = await ring.rotate();
  await notifyCells(handle.db, handle.caps, SIGNING_KEYS_CHANNEL, kid);
  return { kid };
}

/**
 * Keeps a cell's key ring current: re-reads the keys when a rotation is announced and after the
 * notification connection comes back (an announcement may have been missed meanwhile).
 */
export function followSigningKeyRotations(keys: SigningKeyRing, notifications: CellNotifications, onError: (err: unknown) => void): void {
  const reload = (): void => void keys.load().catch(onError);
  notifications.listen(SIGNING_KEYS_CHANNEL, { onNotify: reload, onResync: reload });
}

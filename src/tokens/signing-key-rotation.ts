import os from 'node:os';
import type { Kysely, Transaction } from 'kysely';
import { appendAuditEvent, type AuditActor } from '../audit/audit-writer.ts';
import type { AuditEventKey } from '../audit/events.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
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
  const kid = await ring.rotate((trx, created) =>
    recordKeysCommand(trx, 'signing_key.created', `Signing key ${created} created by \`opendirector keys rotate\`; it signs from now on`, created));
  await notifyCells(handle.db, handle.caps, SIGNING_KEYS_CHANNEL, kid);
  return { kid };
}

/**
 * Deletes a retired signing key (the `keys delete` command, for a key that leaked): every access
 * token and session it signed is refused from then on, on every cell — at once on cells that
 * hear the announcement, within seconds on the embedded database. The key that signs is refused
 * (rotate first), and so is a kid that is not stored.
 */
export async function deleteSigningKey(
  handle: { db: Kysely<Database>; caps: DialectCapabilities }, kid: string,
): Promise<{ deleted: true } | { refused: 'unknown' | 'signing' }> {
  const outcome = await handle.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('signing_keys').select(['kid', 'retired_at']).where('kid', '=', kid).executeTakeFirst();
    if (!row) return { refused: 'unknown' as const };
    if (row.retired_at === null) return { refused: 'signing' as const };
    await trx.deleteFrom('signing_keys').where('kid', '=', kid).execute();
    await recordKeysCommand(trx, 'signing_key.deleted',
      `Signing key ${kid} deleted by \`opendirector keys delete\`; what it signed is refused from now on`, kid);
    return { deleted: true as const };
  });
  if ('deleted' in outcome) await notifyCells(handle.db, handle.caps, SIGNING_KEYS_CHANNEL, kid);
  return outcome;
}

/**
 * Re-encrypts every stored signing key under the current key-encryption key (the `keys rewrap`
 * command), recorded in the audit log when anything changed. Cells need no announcement: the
 * keys they hold are the same keys.
 */
export async function rewrapSigningKeys(db: Kysely<Database>, keks: KeyEncryptionKeys): Promise<{ rewrapped: number; total: number }> {
  return new SigningKeyRing(db, keks).rewrap((trx, { rewrapped, total }) => recordKeysCommand(trx, 'signing_key.rewrapped',
    `${rewrapped} of ${total} signing keys re-encrypted under a new key-encryption key by \`opendirector keys rewrap\``));
}

/**
 * The audit event of an offline `opendirector keys` command: in the System org, with no user
 * (the command authenticates by holding the database and key-encryption key, not as a person),
 * naming the host it ran on.
 */
async function recordKeysCommand(trx: Transaction<Database>, event: AuditEventKey, description: string, kid?: string): Promise<void> {
  const system = await trx.selectFrom('orgs').select(['id', 'name']).where('name', '=', SYSTEM_ORG_NAME).executeTakeFirstOrThrow();
  const actor: AuditActor = { userId: null, userName: null, orgId: system.id, orgName: system.name, apiTokenId: null };
  await appendAuditEvent(trx, {
    event, at: new Date(), actor, description, properties: { 'opendirector.command.host': os.hostname() },
    ...(kid ? { entity: { id: kid, name: kid, type: 'signingKey' } } : {}),
  });
}

/**
 * Keeps a cell's key ring current: re-reads the keys when a rotation is announced and after the
 * notification connection comes back (an announcement may have been missed meanwhile). Where
 * nothing is announced (`pollEveryMs`, the embedded SQLite database, which the `keys` commands
 * change from another process) it checks every `pollEveryMs` whether the stored keys changed.
 * Returns what stops the checks.
 */
export function followSigningKeyRotations(
  keys: SigningKeyRing, notifications: CellNotifications, opts: { onError: (err: unknown) => void; pollEveryMs?: number },
): () => void {
  const reload = (): void => void keys.load().catch(opts.onError);
  notifications.listen(SIGNING_KEYS_CHANNEL, { onNotify: reload, onResync: reload });
  if (opts.pollEveryMs === undefined) return () => undefined;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    keys.reloadIfChanged().catch(opts.onError).finally(() => {
      checking = false;
    });
  }, opts.pollEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}

import type { Command } from 'commander';
import { resolveKeyEncryptionKeys } from '../tokens/key-encryption-key.ts';
import { OfflineCommandError as KeysCommandError, withDatabase } from './offline-database.ts';
import { deleteSigningKey, rewrapSigningKeys, rotateSigningKey } from '../tokens/signing-key-rotation.ts';

/**
 * `opendirector keys rotate | rewrap | list`: the JWT signing keys shared by every cell (issue 6).
 * Rotation logs nobody out: older keys keep verifying; running cells switch to the new key when
 * the rotation is announced (PostgreSQL NOTIFY) or, with SQLite, within the server's next check
 * (every 2 s).
 */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Manage the JWT signing keys in the configured database');
  keys
    .command('rotate')
    .description('Create a new signing key; older keys keep verifying, so nobody is logged out')
    .addHelpText('after', '\nExample:\n  OPENDIRECTOR_DATABASE_URL=postgres://… OPENDIRECTOR_KEY_ENCRYPTION_KEY=… opendirector keys rotate\n')
    .action(() => withDatabase(async (config, handle) => {
      const { kid } = await rotateSigningKey(handle, resolveKeyEncryptionKeys(config));
      process.stdout.write(`New signing key ${kid}: it signs from now on; earlier keys keep verifying.\n`);
    }));
  keys
    .command('rewrap')
    .description('Re-encrypt every stored signing key under OPENDIRECTOR_KEY_ENCRYPTION_KEY (after changing that key)')
    .addHelpText('after', [
      '',
      'Changing the key-encryption key (docs/deployment.md):',
      '  1. give every cell the new key in OPENDIRECTOR_KEY_ENCRYPTION_KEY and the old one in',
      '     OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS, and restart them one by one;',
      '  2. OPENDIRECTOR_KEY_ENCRYPTION_KEY=<new> OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS=<old> opendirector keys rewrap',
      '  3. remove OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS from every cell.',
      '',
    ].join('\n'))
    .action(() => withDatabase(async (config, handle) => {
      const keks = resolveKeyEncryptionKeys(config);
      const { rewrapped, total } = await rewrapSigningKeys(handle.db, keks);
      process.stdout.write(rewrapped === 0
        ? `All ${total} signing keys are already encrypted under the current key-encryption key; nothing changed.\n`
        : `Re-encrypted ${rewrapped} of ${total} signing keys under the current key-encryption key.\n`);
      if (keks.previous.length > 0) {
        process.stdout.write('Once every cell runs with the current key, remove OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS from their configuration.\n');
      }
    }));
  keys
    .command('delete')
    .argument('<kid>', 'the retired key to delete, as `keys list` shows it')
    .description('Delete a retired signing key (one that leaked): every access token and session it signed is refused from then on')
    .addHelpText('after', [
      '',
      'A leaked signing key: run `keys rotate` first (the key that signs cannot be deleted), then',
      '`keys delete <kid>` with the old kid. Running cells drop it at once (PostgreSQL) or within',
      '2 s (the embedded database); people whose sessions it signed log in again, and automation',
      'exchanges its API token again.',
      '',
    ].join('\n'))
    .action((kid: string) => withDatabase(async (_config, handle) => {
      const outcome = await deleteSigningKey(handle, kid);
      if ('refused' in outcome) {
        throw new KeysCommandError(outcome.refused === 'unknown'
          ? `there is no signing key ${JSON.stringify(kid)} (see \`opendirector keys list\`); nothing changed.`
          : `${kid} is the key that signs: run \`opendirector keys rotate\` first, then delete it; nothing changed.`);
      }
      process.stdout.write(`Deleted signing key ${kid}: access tokens and sessions it signed are refused from now on.\n`);
    }));
  keys
    .command('list')
    .description('List the signing keys (kid, creation time, whether it signs or only verifies)')
    .action(() => withDatabase(async (_config, handle) => {
      const rows = await handle.db.selectFrom('signing_keys').select(['kid', 'created_at', 'retired_at']).orderBy('created_at', 'asc').execute();
      for (const r of rows) {
        process.stdout.write(`${r.kid}  ${r.created_at}  ${r.retired_at === null ? 'signing' : `verifying (retired ${r.retired_at})`}\n`);
      }
    }));
}

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';

/**
 * The key-encryption keys: `current` encrypts (and decrypts first); `previous` only decrypt, so
 * that after the key-encryption key is changed every cell still reads keys stored under the old
 * one until `opendirector keys rewrap` has re-encrypted them (docs/deployment.md).
 */
/** The key-encryption key is missing, unreadable or unsafe: the message says what to do. */
export class KeyEncryptionKeyError extends Error {
  override readonly name = 'KeyEncryptionKeyError';
}

/** As OPENDIRECTOR_KEY_ENCRYPTION_KEY requires (config/schema.ts). */
const MIN_KEY_LENGTH = 32;

export interface KeyEncryptionKeys {
  readonly current: string;
  readonly previous: readonly string[];
}

/** The configured key-encryption keys: resolveKeyEncryptionKey, then the previous ones. */
export function resolveKeyEncryptionKeys(
  config: Pick<Config, 'keyEncryptionKey' | 'previousKeyEncryptionKeys' | 'databaseUrl' | 'dataDir'>,
): KeyEncryptionKeys {
  const current = resolveKeyEncryptionKey(config);
  return { current, previous: config.previousKeyEncryptionKeys.filter((k) => k !== current) };
}

/**
 * The key that encrypts the JWT signing keys at rest. With PostgreSQL every cell (and the
 * `keys` CLI) must be given the same one, since they share the signing keys (issue 6); with the
 * embedded SQLite database it is generated once into the data dir when unset.
 */
export function resolveKeyEncryptionKey(config: Pick<Config, 'keyEncryptionKey' | 'databaseUrl' | 'dataDir'>): string {
  if (config.keyEncryptionKey) return config.keyEncryptionKey;
  if (config.databaseUrl) {
    throw new KeyEncryptionKeyError('OPENDIRECTOR_KEY_ENCRYPTION_KEY is required with PostgreSQL: every cell must decrypt the shared signing keys.');
  }
  const file = path.join(config.dataDir, 'key-encryption-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readKeyFile(file);
}

/**
 * The generated key file, refused when others may read it (like ssh with a private key: whoever
 * reads it can decrypt the signing keys and forge access tokens) or when it is too short to be a
 * key (emptied or truncated by hand: signing keys would be encrypted under almost nothing).
 */
function readKeyFile(file: string): string {
  const mode = fs.statSync(file).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyEncryptionKeyError(
      `${file} is readable by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run \`chmod 600 ${file}\` (or set OPENDIRECTOR_KEY_ENCRYPTION_KEY instead).`,
    );
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < MIN_KEY_LENGTH) {
    throw new KeyEncryptionKeyError(
      `${file} holds ${key.length === 0 ? 'nothing' : `only ${key.length} characters`}, not a key-encryption key (at least ${MIN_KEY_LENGTH}): put back the key it held (from a backup), or see "The key-encryption key" in docs/deployment.md.`,
    );
  }
  return key;
}

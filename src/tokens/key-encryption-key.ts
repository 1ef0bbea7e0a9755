import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';

/**
 * The key-encryption keys: `current` encrypts (and decrypts first); `previous` only decrypt, so
 * that after the key-encryption key is changed every cell still reads keys stored under the old
 * one until `opendirector keys rewrap` has re-encrypted them (docs/deployment.md).
 */
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
    throw new Error('OPENDIRECTOR_KEY_ENCRYPTION_KEY is required with PostgreSQL: every cell must decrypt the shared signing keys.');
  }
  const file = path.join(config.dataDir, 'key-encryption-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

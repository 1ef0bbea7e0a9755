import { loadConfig, ConfigError, type Config } from '../config/index.ts';
import { openDatabase, type DatabaseHandle } from '../storage/db.ts';
import { pendingMigrations } from '../storage/migrator.ts';
import { isSigningKeyDecryptionFailure } from '../tokens/signing-keys.ts';

/** A failure an offline command explains in one line (exit status 1), as opposed to a bug. */
export class OfflineCommandError extends Error {
  override readonly name = 'OfflineCommandError';
}

/**
 * Offline work on the configured database (`keys`, `admin`; STYLE §1: the CLI calls services
 * directly only for offline work): read the server's configuration (OPENDIRECTOR_*), open its
 * database, refuse an unmigrated one, run, close. Failures are one line on stderr, exit 1.
 */
export async function withDatabase(work: (config: Config, handle: DatabaseHandle) => Promise<void>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`opendirector: ${e.message}\n`);
    process.exit(2);
  }
  const handle = openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, poolSize: 2, connectTimeoutMs: config.databaseConnectTimeoutSeconds * 1000 });
  handle.pgPool?.on('error', () => undefined);
  try {
    // An offline command never changes the schema: that is the job of the first upgraded cell.
    const pending = await pendingMigrations(handle.db);
    if (pending.length > 0) {
      throw new OfflineCommandError(`the database is not at this version's schema (pending: ${pending.join(', ')}). Start \`opendirector serve\` of this version first.`);
    }
    await work(config, handle);
  } catch (e) {
    const message = e instanceof OfflineCommandError ? e.message
      : isSigningKeyDecryptionFailure(e)
        ? 'OPENDIRECTOR_KEY_ENCRYPTION_KEY does not decrypt the stored signing keys: use the key every cell uses'
          + ' (after changing it, give the old one in OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS).'
        : `${(e as Error).message}`;
    process.stderr.write(`opendirector: ${message}\n`);
    process.exitCode = 1;
  } finally {
    await handle.close();
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from './exit-codes.ts';

/**
 * Writes a secret to `file` with mode 0600, atomically (temp file + rename), so the secret is
 * never readable by others, not even for a moment. Refuses to replace an existing file unless
 * `overwrite` (a token file is the only copy of a secret).
 */
export function writePrivateFile(file: string, content: string, opts: { overwrite: boolean }): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!opts.overwrite && fs.existsSync(file)) {
    throw new CliError(`${file} already exists; pass --force to replace it`, EXIT.usage);
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600); // whatever the umask
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Creates a folder readable only by its owner (mode 0700). */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

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
  checkPrivateFileTarget(file, opts);
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600); // whatever the umask
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new CliError(`Cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.failure);
  }
}

/**
 * Throws the CliError writePrivateFile would throw for `file`, without writing anything: an
 * existing file (unless `overwrite`), a folder in the way, a parent that is a file, a folder we
 * may not write to. Call it before creating a secret that only this file will hold, so a bad
 * path fails before the secret exists rather than after (when it could no longer be saved).
 */
export function checkPrivateFileTarget(file: string, opts: { overwrite: boolean }): void {
  const target = path.resolve(file);
  const stat = statOrNull(target);
  if (stat?.isDirectory()) throw new CliError(`${file} is a folder; give a file name`, EXIT.usage);
  if (stat && !opts.overwrite) throw new CliError(`${file} already exists; pass --force to replace it`, EXIT.usage);
  // The nearest folder that exists must be a folder we may write in (the rest is created).
  let dir = path.dirname(target);
  let dirStat = statOrNull(dir);
  while (!dirStat && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
    dirStat = statOrNull(dir);
  }
  if (dirStat && !dirStat.isDirectory()) throw new CliError(`Cannot write ${file}: ${dir} is not a folder`, EXIT.usage);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw new CliError(`Cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)} on ${dir}`, EXIT.usage);
  }
}

/** fs.Stats, or null when nothing is there (ENOENT) or a parent is a file (ENOTDIR). */
function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Creates a folder readable only by its owner (mode 0700). */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const GIT_TIMEOUT_MS = 5_000;

/** Runs git in `cwd`; its stdout, or null when git is missing or answers with an error status. */
function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: GIT_TIMEOUT_MS }).trim();
  } catch {
    return null;
  }
}

/** The nearest folder of `target` that exists (what the file's folders will be created under). */
function nearestExistingFolder(target: string): string {
  let dir = path.dirname(target);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * The top of the git work tree `file` would be written into when git does not ignore it there
 * (so a `git add -A` would commit the secret), else null: outside any work tree, ignored, or no
 * git on this machine (then nobody commits with it either).
 */
export function unignoredGitWorkTree(file: string): string | null {
  const target = path.resolve(file);
  const dir = nearestExistingFolder(target);
  if (git(dir, ['rev-parse', '--is-inside-work-tree']) !== 'true') return null;
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  if (top === null) return null;
  // check-ignore (a tracked file counts as not ignored): status 0 ignored, 1 not ignored, 128 an error (no warning on doubt).
  try {
    execFileSync('git', ['check-ignore', '-q', '--', target], { cwd: dir, stdio: 'ignore', timeout: GIT_TIMEOUT_MS });
    return null;
  } catch (err) {
    return (err as { status?: number }).status === 1 ? top : null;
  }
}

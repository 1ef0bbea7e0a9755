import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web portal with Vite's JS API when src/web/dist is missing or older than its
 * sources, so `npm start` (its `prestart` runs this file) and the browser tests need no extra
 * step on a fresh clone (issue 4). Concurrent callers (two test workers) build once: the first
 * takes a lock, the others wait for it and then find the build fresh.
 */
const WEB_DIR = fileURLToPath(new URL('./', import.meta.url));
const SOURCES = [path.join(WEB_DIR, 'portal'), path.join(WEB_DIR, 'vite.config.ts')];
const DIST_INDEX = path.join(WEB_DIR, 'dist', 'index.html');
const LOCK_DIR = path.join(os.tmpdir(), `opendirector-portal-build-${createHash('sha256').update(WEB_DIR).digest('hex').slice(0, 12)}.lock`);
const LOCK_STALE_MS = 5 * 60_000;
const LOCK_POLL_MS = 100;

function newestMtimeMs(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtimeMs(path.join(p, entry)));
  return newest;
}

/** True when dist/index.html is missing or any portal source changed after it was written. */
export function isPortalStale(): boolean {
  if (!fs.existsSync(DIST_INDEX)) return true;
  const built = fs.statSync(DIST_INDEX).mtimeMs;
  return SOURCES.some((s) => fs.existsSync(s) && newestMtimeMs(s) > built);
}

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a crashed build must not block forever.
      const age = Date.now() - (fs.statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** Builds the portal unless the current build is fresh. Returns whether it built. */
export async function ensurePortalBuilt(): Promise<boolean> {
  if (!isPortalStale()) return false;
  return withBuildLock(async () => {
    if (!isPortalStale()) return false;
    const { build } = await import('vite');
    await build({ configFile: path.join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn' });
    return true;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await ensurePortalBuilt();
    process.stdout.write(built ? 'Web portal built into src/web/dist.\n' : 'Web portal is up to date.\n');
  } catch (e) {
    // Vite is a dev dependency: an install without it still serves the API (and says so at `/`).
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    process.stderr.write('Web portal not built: Vite is not installed (npm install without --omit=dev builds it).\n');
  }
}

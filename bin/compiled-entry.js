// Decides whether bin/opendirector.js may run the compiled build (dist/server/, written by
// scripts/build-server.ts) instead of the TypeScript sources through tsx. Plain JavaScript with
// no dependencies: it runs before anything is compiled or loaded.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The stamp format this file understands (STAMP_FORMAT in scripts/build-server.ts). */
const STAMP_FORMAT = 1;

/**
 * The URL of the compiled entry module in `dir` (root/dist/server unless a test says otherwise),
 * or null when there is no usable build for the tree at `root`.
 *
 * A build is used only if its stamp lists every file it was compiled from with the same
 * modification time and size they have now: any edit, checkout, deletion or touch since the
 * build (or during it) makes it stale, and stale means null — the caller then runs the sources,
 * so an old build can never run old code silently. Checking ~200 stats costs a few milliseconds.
 */
export function compiledEntry(root, dir = path.join(root, 'dist', 'server')) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(dir, 'build-stamp.json'), 'utf8'));
  } catch {
    return null;
  }
  if (stamp === null || typeof stamp !== 'object' || stamp.format !== STAMP_FORMAT || typeof stamp.entry !== 'string') return null;
  const inputs = stamp.inputs !== null && typeof stamp.inputs === 'object' ? Object.entries(stamp.inputs) : [];
  if (inputs.length === 0) return null;
  for (const [file, recorded] of inputs) {
    if (!Array.isArray(recorded)) return null;
    const st = fs.statSync(path.join(root, file), { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== recorded[0] || st.size !== recorded[1]) return null;
  }
  const entry = path.join(dir, stamp.entry);
  return fs.existsSync(entry) ? pathToFileURL(entry).href : null;
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * `npm run build` (and `npm start`'s `prestart`, `npm run bench`'s `prebench`): compiles the CLI
 * and the server into plain JavaScript under dist/server/, so `bin/opendirector.js` can run them
 * without tsx. tsx transpiles every module on load and keeps a module-loader worker thread with
 * its own V8 heap (~34 MB of the server's RSS, issue 7); the compiled build has neither.
 *
 * Only our sources are bundled (one entry plus chunks for the lazily imported modules, so
 * `opendirector token list` still does not load the SQL drivers); every package, native ones like
 * better-sqlite3 included, stays an ordinary import resolved from node_modules at run time.
 *
 * The build writes dist/server/build-stamp.json: the modification time and size of every file it
 * compiled, taken *before* compiling. bin/compiled-entry.js runs the build only while every one of
 * them is unchanged, so a build older than the sources (or one that raced an edit) is never used:
 * the bin falls back to tsx and runs the sources.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Bumped when the stamp's shape changes; bin/compiled-entry.js accepts exactly this format. */
export const STAMP_FORMAT = 1;
/** Besides the bundled sources, these change what the build produces. */
const BUILD_INPUTS = ['tsconfig.json', 'scripts/build-server.ts'];

type FileStat = [mtimeMs: number, size: number];

function statOf(file: string): FileStat | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? [st.mtimeMs, st.size] : undefined;
}

/** Every file under `dir`, relative to ROOT with `/` separators (esbuild's metafile spelling). */
function snapshot(dir: string, into: Map<string, FileStat>): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) snapshot(full, into);
    else {
      const st = statOf(full);
      if (st) into.set(path.relative(ROOT, full).split(path.sep).join('/'), st);
    }
  }
}

/**
 * Bundling moves code into dist/server/, which would make `import.meta.url` point there: the
 * portal's `new URL('./dist/', import.meta.url)` and the CLI's `../../package.json` would then
 * miss. Each source module's `import.meta.url` becomes its original file's URL, computed from the
 * output file's location at run time (so the tree can be moved). Any other `import.meta` property
 * fails the build rather than silently meaning something else.
 */
function sourceUrlPlugin(outDir: string): esbuild.Plugin {
  return {
    name: 'source-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await fs.promises.readFile(args.path, 'utf8');
        const other = /import\.meta\.(?!url\b)\w+/.exec(text);
        if (other) return { errors: [{ text: `${other[0]} is not supported by the server build (only import.meta.url is rewritten)` }] };
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const rel = path.relative(outDir, args.path).split(path.sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** Builds into `outDir` (default dist/server) atomically: a reader sees the old build, none, or the new one. */
export async function buildServer(opts: { outDir?: string } = {}): Promise<{ outDir: string; inputs: number }> {
  const outDir = opts.outDir ?? path.join(ROOT, 'dist', 'server');
  const before = new Map<string, FileStat>();
  snapshot(path.join(ROOT, 'src'), before);
  for (const f of BUILD_INPUTS) {
    const st = statOf(path.join(ROOT, f));
    if (st) before.set(f, st);
  }
  // A sibling of outDir, so the relative paths the plugin computes hold after the rename.
  const tmpDir = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: 'src/cli/main.ts' },
      outdir: tmpDir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      // As tsx does: class and function names stay what the sources say (error names, logs).
      keepNames: true,
      // For stack traces with `NODE_OPTIONS=--enable-source-maps`; not loaded otherwise.
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      plugins: [sourceUrlPlugin(outDir)],
    });
    const inputs: Record<string, FileStat | null> = {};
    for (const f of [...Object.keys(result.metafile.inputs), ...BUILD_INPUTS]) inputs[f] = before.get(f) ?? null;
    // null (a file that appeared during the build) can never match: such a build is stale at once.
    const stamp = { format: STAMP_FORMAT, entry: 'main.js', builtAt: new Date().toISOString(), inputs };
    fs.writeFileSync(path.join(tmpDir, 'build-stamp.json'), `${JSON.stringify(stamp, null, 1)}\n`);
    const old = `${outDir}.old-${process.pid}`;
    fs.rmSync(old, { recursive: true, force: true });
    if (fs.existsSync(outDir)) fs.renameSync(outDir, old);
    fs.renameSync(tmpDir, outDir);
    fs.rmSync(old, { recursive: true, force: true });
    return { outDir, inputs: Object.keys(inputs).length };
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const { outDir, inputs } = await buildServer();
  process.stdout.write(`Server built into ${path.relative(ROOT, outDir)} (${inputs} inputs, ${Date.now() - started} ms).\n`);
}

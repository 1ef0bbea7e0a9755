import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnUntilReady, type ChildHandle } from './child.ts';
import { compiledEntry } from '../bin/compiled-entry.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_ADMIN_PASSWORD = 'bench-Admin-Passw0rd!';

export interface RealServer {
  readonly url: string;
  readonly handle: ChildHandle;
  /** Whether the bin ran the compiled build (dist/server, `npm run build`) rather than the sources through tsx. */
  readonly compiled: boolean;
}

/** The environment of a bench server: the caller's, minus any OPENDIRECTOR_* it happens to carry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) env[k] = v;
  return env;
}

/**
 * Starts the real server as its own process, the way an operator does (`opendirector serve`),
 * with the default configuration: rate limits on, default scrypt cost. Only the data folder, the
 * port, the bootstrap password and the log level are set. `nodeArgs` adds e.g. `--cpu-prof`.
 */
export async function startRealServer(opts: { dataDir: string; nodeArgs?: string[]; env?: Record<string, string> }): Promise<RealServer> {
  const port = await freePort();
  // The bin's own check, just before it runs (`npm run bench` builds first, in `prebench`).
  const compiled = compiledEntry(ROOT) !== null;
  const { handle } = await spawnUntilReady({
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), path.join(ROOT, 'bin/opendirector.js'), 'serve'],
    env: {
      ...cleanEnv(), ...opts.env,
      OPENDIRECTOR_DATA_DIR: opts.dataDir, OPENDIRECTOR_PORT: String(port),
      OPENDIRECTOR_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, OPENDIRECTOR_LOG_LEVEL: 'warn',
    },
    cwd: ROOT, ready: /OpenDirector listening on (http:\/\/\S+?) /, timeoutMs: 120_000, label: 'OpenDirector server',
  });
  return { url: `http://127.0.0.1:${port}`, handle, compiled };
}

/**
 * Runs `opendirector serve` as a real child process — a "cell" — over a shared PostgreSQL
 * database, the way an operator runs several behind a load balancer (issue 6).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, TEST_KEY_ENCRYPTION_KEY } from '../support/test-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 90_000;

export interface Cell {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed (stdout and stderr). */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then wait for the exit (idempotent). */
  kill(): Promise<void>;
}

/** The caller's environment without OPENDIRECTOR_* variables (loadConfig refuses unknown ones). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) env[k] = v;
  return env;
}

/**
 * Starts one cell on `databaseUrl` on a free loopback port (port 0: the kernel picks, the cell
 * prints its URL) and resolves once it listens. The data dir is a fresh temp folder (a cell keeps
 * nothing there with PostgreSQL) and is removed when the process exits. `env` adds or replaces
 * OPENDIRECTOR_* settings.
 */
export async function startCell(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Cell> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `od-cell-${name}-`));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/opendirector.js'), 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...cleanEnv(),
      OPENDIRECTOR_DATABASE_URL: databaseUrl,
      OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      OPENDIRECTOR_HOST: '127.0.0.1',
      OPENDIRECTOR_PORT: '0',
      OPENDIRECTOR_DATA_DIR: dataDir,
      OPENDIRECTOR_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10',
      OPENDIRECTOR_LOG_LEVEL: 'warn',
      // Generous: the load test's failed guesses must not throttle the test's own traffic.
      OPENDIRECTOR_RATE_LIMIT_FAILURES_PER_MINUTE: '10000',
      ...env,
    },
  });
  let out = '';
  const changed = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    if (out.length < 256 * 1024) out += chunk.toString('utf8');
    for (const f of changed) f();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cell ${name} did not listen within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const m = /OpenDirector listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
      if (!m?.[1]) return;
      changed.delete(check);
      clearTimeout(timer);
      resolve(m[1]);
    };
    changed.add(check);
    check();
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`cell ${name} exited (code ${String(code)}, signal ${String(signal)}) before listening:\n${out}`));
    });
  });
  return {
    name, url, child, exited, output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

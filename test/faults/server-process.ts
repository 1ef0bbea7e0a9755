/**
 * Runs `opendirector serve` as a real child process (the way an operator does), so a test can
 * SIGKILL or SIGTERM it and start it again on the same data folder (issue 8, crash safety).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROCESS_ADMIN_PASSWORD = 'crash-Admin-Passw0rd!';
const START_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output matches `pattern` (rejects if the process exits first). */
  waitForOutput(pattern: RegExp): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The caller's environment without any OPENDIRECTOR_* (loadConfig refuses unknown ones). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) env[k] = v;
  return env;
}

/** Starts `node bin/opendirector.js serve` on `dataDir` and `port`; resolves once it listens. */
export async function startServerProcess(opts: { dataDir: string; port: number; env?: Record<string, string>; nodeArgs?: string[] }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), path.join(ROOT, 'bin/opendirector.js'), 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...cleanEnv(),
      OPENDIRECTOR_DATA_DIR: opts.dataDir,
      OPENDIRECTOR_PORT: String(opts.port),
      OPENDIRECTOR_HOST: '127.0.0.1',
      OPENDIRECTOR_ADMIN_PASSWORD: PROCESS_ADMIN_PASSWORD,
      OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10',
      OPENDIRECTOR_LOG_LEVEL: 'warn',
      ...opts.env,
    },
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    if (out.length < 256 * 1024) out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const waitForOutput = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pattern.test(out)) {
        listeners.delete(check);
        resolve();
      }
    };
    listeners.add(check);
    check();
    void exited.then(({ code, signal }) => {
      listeners.delete(check);
      reject(new Error(`server exited (code ${String(code)}, signal ${String(signal)}) before printing ${String(pattern)}:\n${out}`));
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  try {
    await waitForOutput(/OpenDirector listening on /);
  } finally {
    clearTimeout(timer);
  }
  return { url: `http://127.0.0.1:${opts.port}`, child, output: () => out, exited, waitForOutput };
}

/** Kills the process if it still runs (test clean-up). */
export async function killServerProcess(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/**
 * Runs `opendirector serve` with `env` that is expected to fail before listening; resolves with
 * the exit code and everything it printed. Kills it (and says so in `output`) if it is still
 * running after `timeoutMs`: a start-up failure must never hang.
 */
export async function runFailingServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/opendirector.js'), 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...cleanEnv(),
      OPENDIRECTOR_HOST: '127.0.0.1',
      OPENDIRECTOR_ADMIN_PASSWORD: PROCESS_ADMIN_PASSWORD,
      OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10',
      ...env,
    },
  });
  let output = '';
  // stderr on its own too: stdout (the log) and stderr are two pipes, so in `output` a log line
  // written before the error may still arrive after it.
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); stderr += c.toString('utf8'); });
  const timer = setTimeout(() => {
    output += `\n[test] still running after ${timeoutMs} ms: killed\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output, stderr };
}

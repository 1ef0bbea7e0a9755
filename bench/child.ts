import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A child process started by the benchmark (a server or the load generator). */
export interface ChildHandle {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Everything the child wrote to stdout/stderr so far (for error messages). */
  output(): string;
  /** Peak resident set size (VmHWM) of the child, in KiB, from /proc; null when unavailable. */
  peakRssKb(): number | null;
  /** Sends SIGINT (graceful shutdown), then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<number | null>;
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

export function readProcStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc; null when unavailable. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}

/**
 * Spawns `command args` and waits until its output matches `ready` (bounded by `timeoutMs`).
 * The child is killed if it does not become ready in time.
 */
export async function spawnUntilReady(opts: {
  command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string; ready: RegExp; timeoutMs: number; label: string;
}): Promise<{ handle: ChildHandle; match: RegExpExecArray }> {
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const MAX_OUTPUT = 64 * 1024;
  let exited: number | null | undefined;
  const exitPromise = new Promise<number | null>((resolve) => child.once('exit', (code) => { exited = code; resolve(code); }));
  const handle: ChildHandle = {
    pid: child.pid ?? -1,
    process: child,
    output: () => out,
    peakRssKb: () => (child.pid ? readProcStatusKb(child.pid, 'VmHWM') : null),
    async stop(graceMs = 10_000) {
      if (exited !== undefined) return exited;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exitPromise;
      clearTimeout(timer);
      return code;
    },
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.label} did not start within ${opts.timeoutMs} ms. Output:\n${out}`));
    }, opts.timeoutMs);
    const onData = (chunk: Buffer) => {
      if (out.length < MAX_OUTPUT) out += chunk.toString('utf8');
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exitPromise.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} exited with code ${String(code)} before it was ready. Output:\n${out}`));
    });
  });
  return { handle, match };
}

/**
 * The disk's durable-write latency where `dir` lives: `n` times, 4 KiB appended to a scratch file
 * and fdatasync'ed (what a grant waits for before its answer, once per group commit). ms.
 */
export function fdatasyncLatencyMs(dir: string, n = 40): { p50: number; p90: number; max: number } {
  const file = `${dir}/.fsync-probe`;
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      fs.writeSync(fd, buf);
      const t0 = process.hrtime.bigint();
      fs.fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => Number(times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2));
  return { p50: at(0.5), p90: at(0.9), max: Number(times.at(-1)!.toFixed(2)) };
}

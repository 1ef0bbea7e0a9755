import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './start-server.ts';
import { cpuSeconds } from './child.ts';
import type { LoadResult, LoadSpec } from './load-spec.ts';

/**
 * Runs the load generator (autocannon) in its own process against `spec.url`: a warm-up run,
 * then the measured run with fixed connections and duration. Traffic goes to 127.0.0.1 only.
 */
export async function runLoad(spec: LoadSpec, serverPid?: number): Promise<LoadResult> {
  const cpu0 = serverPid ? cpuSeconds(serverPid) : null;
  const t0 = process.hrtime.bigint();
  const result = await runLoadProcess(spec);
  const cpu1 = serverPid ? cpuSeconds(serverPid) : null;
  if (cpu0 !== null && cpu1 !== null) {
    const responses = result.warmupResponses + Math.round(result.responsesPerSec * result.durationSec);
    result.serverCpuUsPerResponse = Math.round(((cpu1 - cpu0) * 1e6) / Math.max(1, responses));
    result.serverCores = Number(((cpu1 - cpu0) / (Number(process.hrtime.bigint() - t0) / 1e9)).toFixed(2));
  }
  return result;
}

async function runLoadProcess(spec: LoadSpec): Promise<LoadResult> {
  const host = new URL(spec.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`The benchmark only sends traffic to 127.0.0.1, not ${host}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-bench-load-'));
  const specFile = path.join(dir, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify(spec));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/autocannon-worker.ts'), specFile], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { if (out.length < 1_000_000) out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { if (out.length < 1_000_000) out += c.toString('utf8'); });
    const limitMs = (spec.durationSec + spec.warmupSec + 60) * 1000;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line) throw new Error(`load generator failed (exit ${String(code)}):\n${out.slice(-4000)}`);
    return JSON.parse(line.slice('RESULT '.length)) as LoadResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

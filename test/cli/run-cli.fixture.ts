import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/opendirector.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A throwaway config folder (OPENDIRECTOR_CONFIG_DIR) so tests never touch the real profile. */
export function tempConfigDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-cli-'));
}

/**
 * Runs `node bin/opendirector.js …` as a subprocess, the way people run it. The parent's
 * OPENDIRECTOR_* variables are dropped; `env` adds the test's own. stdin is `input` (or empty).
 */
export function runCli(args: string[], opts: { configDir: string; env?: Record<string, string>; input?: string; cwd?: string }): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPENDIRECTOR_')) env[k] = v;
  Object.assign(env, { OPENDIRECTOR_CONFIG_DIR: opts.configDir, NO_COLOR: '1' }, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd ?? opts.configDir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

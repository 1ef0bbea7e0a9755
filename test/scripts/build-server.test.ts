import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, ROOT } from '../../scripts/build-server.ts';
import { compiledEntry } from '../../bin/compiled-entry.js';
import { CLI_VERSION } from '../../src/cli/version.ts';
import { ADMIN_PASSWORD } from '../support/test-server.ts';

/** The caller's environment without OPENDIRECTOR_* variables (loadConfig refuses unknown ones). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) env[k] = v;
  return env;
}

describe('scripts/build-server.ts: the compiled CLI and server', () => {
  let base: string;
  let outDir: string;
  beforeAll(async () => {
    // Inside the tree (packages resolve from its node_modules), but not dist/server: the tree's
    // own build, npm start's, is left alone.
    fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
    base = fs.mkdtempSync(path.join(ROOT, 'dist', '.test-build-'));
    outDir = path.join(base, 'server');
    await buildServer({ outDir });
  }, 120_000);
  afterAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('stamps the build with the sources it was compiled from, and the bin accepts a fresh one', () => {
    const stamp = JSON.parse(fs.readFileSync(path.join(outDir, 'build-stamp.json'), 'utf8')) as { entry: string; inputs: Record<string, [number, number]> };
    expect(stamp.entry).toBe('main.js');
    for (const f of ['src/cli/main.ts', 'src/server.ts', 'src/cli/serve-command.ts', 'tsconfig.json', 'scripts/build-server.ts']) {
      expect(stamp.inputs[f]?.[1], f).toBe(fs.statSync(path.join(ROOT, f)).size);
    }
    expect(Object.keys(stamp.inputs).some((f) => f.includes('node_modules'))).toBe(false);
    expect(compiledEntry(ROOT, outDir)).toBe(pathToFileURL(path.join(outDir, 'main.js')).href);
  });

  it('keeps packages as imports from node_modules (native better-sqlite3 included) and loads the SQL drivers lazily', () => {
    const files = fs.readdirSync(outDir).filter((f) => f.endsWith('.js'));
    const all = files.map((f) => fs.readFileSync(path.join(outDir, f), 'utf8'));
    expect(all.some((text) => /^import \w+ from "better-sqlite3";$/m.test(text))).toBe(true);
    expect(fs.readFileSync(path.join(outDir, 'main.js'), 'utf8')).not.toMatch(/from "(better-sqlite3|pg|fastify)"/);
  });

  it('runs the CLI, reading the version from package.json as the sources do', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [path.join(outDir, 'main.js'), '--version'], { cwd: base, env: cleanEnv() }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    expect(stdout.trim()).toBe(CLI_VERSION);
    expect(CLI_VERSION).not.toBe('0.0.0');
  });

  it('runs the server, which finds the portal build next to its sources', async () => {
    const dataDir = path.join(base, 'data');
    const child = spawn(process.execPath, [path.join(outDir, 'main.js'), 'serve'], {
      cwd: base, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...cleanEnv(), OPENDIRECTOR_DATA_DIR: dataDir, OPENDIRECTOR_HOST: '127.0.0.1', OPENDIRECTOR_PORT: '0',
        OPENDIRECTOR_ADMIN_PASSWORD: ADMIN_PASSWORD, OPENDIRECTOR_PASSWORD_HASH_LOG2N: '10', OPENDIRECTOR_LOG_LEVEL: 'warn',
      },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const m = /OpenDirector listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
          if (m?.[1]) resolve(m[1]);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`server exited (${String(code)}) before listening:\n${out}`)));
      });
      const live = await fetch(`${url}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      // The global setup built src/web/dist: the compiled server must serve that index, not
      // "not built" from a folder resolved next to dist/.
      const index = await fetch(`${url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await index.text()).toBe(fs.readFileSync(fileURLToPath(new URL('../../src/web/dist/index.html', import.meta.url)), 'utf8'));
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });
});

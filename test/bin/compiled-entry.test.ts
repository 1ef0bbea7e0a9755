import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledEntry } from '../../bin/compiled-entry.js';

/** A throwaway project tree: two sources and a build of them whose stamp records their state now. */
function fakeTree(): { root: string; dist: string; writeStamp(extra?: Record<string, unknown>): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'od-compiled-entry-'));
  fs.mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src', 'cli', 'main.ts'), 'export {};\n');
  fs.writeFileSync(path.join(root, 'src', 'server.ts'), 'export const x = 1;\n');
  const dist = path.join(root, 'dist', 'server');
  fs.mkdirSync(dist, { recursive: true });
  fs.writeFileSync(path.join(dist, 'main.js'), '');
  const writeStamp = (extra: Record<string, unknown> = {}) => {
    const inputs: Record<string, [number, number]> = {};
    for (const f of ['src/cli/main.ts', 'src/server.ts']) {
      const st = fs.statSync(path.join(root, f));
      inputs[f] = [st.mtimeMs, st.size];
    }
    fs.writeFileSync(path.join(dist, 'build-stamp.json'), JSON.stringify({ format: 1, entry: 'main.js', inputs, ...extra }));
  };
  writeStamp();
  return { root, dist, writeStamp };
}

describe('bin/compiled-entry.js: when the bin may run dist/server instead of the sources', () => {
  let tree: ReturnType<typeof fakeTree>;
  beforeEach(() => {
    tree = fakeTree();
  });
  afterEach(() => {
    fs.rmSync(tree.root, { recursive: true, force: true });
  });

  it('uses a build whose every input is unchanged since it was compiled', () => {
    expect(compiledEntry(tree.root)).toBe(pathToFileURL(path.join(tree.dist, 'main.js')).href);
  });

  it('falls back to the sources when a source was edited after the build', () => {
    fs.appendFileSync(path.join(tree.root, 'src', 'server.ts'), 'export const y = 2;\n');
    expect(compiledEntry(tree.root)).toBeNull();
  });

  it('falls back when a source was only touched, even with the same size', () => {
    const file = path.join(tree.root, 'src', 'server.ts');
    const later = new Date(fs.statSync(file).mtimeMs + 5000);
    fs.utimesSync(file, later, later);
    expect(compiledEntry(tree.root)).toBeNull();
  });

  it('falls back when a source the build was made from has been deleted', () => {
    fs.rmSync(path.join(tree.root, 'src', 'server.ts'));
    expect(compiledEntry(tree.root)).toBeNull();
  });

  it('falls back when the stamp is missing, unreadable, of another format or lists nothing', () => {
    tree.writeStamp({ format: 2 });
    expect(compiledEntry(tree.root)).toBeNull();
    tree.writeStamp({ inputs: {} });
    expect(compiledEntry(tree.root)).toBeNull();
    tree.writeStamp({ inputs: { 'src/server.ts': null } });
    expect(compiledEntry(tree.root)).toBeNull();
    fs.writeFileSync(path.join(tree.dist, 'build-stamp.json'), '{"format":1,');
    expect(compiledEntry(tree.root)).toBeNull();
    fs.rmSync(path.join(tree.dist, 'build-stamp.json'));
    expect(compiledEntry(tree.root)).toBeNull();
  });

  it('falls back when the stamp is fresh but the entry module is missing', () => {
    fs.rmSync(path.join(tree.dist, 'main.js'));
    expect(compiledEntry(tree.root)).toBeNull();
  });
});

/**
 * Two processes writing one SQLite file: the server, and a second process on the same file (the
 * CLI's `opendirector keys rotate`, a second server during a rolling restart). Transactions start
 * with BEGIN IMMEDIATE (src/storage/db.ts), so each waits for the write lock at BEGIN, within the
 * busy timeout, instead of failing with SQLITE_BUSY(_SNAPSHOT) when it moves from reading to
 * writing while the other process writes — which used to answer requests with a 500.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { loginAdmin } from '../support/flows.ts';
import { bearer, request } from '../support/http-client.ts';
import type { WriterDone, WriterMessage } from './sqlite-writer-process.ts';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-writer-process.ts');
const ROLES = 160;
/** Every DUPLICATE_EVERY-th request reuses an earlier name: a read that ends in a refusal, 400. */
const DUPLICATE_EVERY = 16;
const CONCURRENCY = 4;
/** The writer's gap between transactions (sqlite-writer-process.ts says why not 0). */
const WRITER_PAUSE_MS = 1;

let t: TestServer;
let writer: ChildProcess | undefined;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  if (writer && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL');
  await t?.close();
});

/** Forks the writer on `dataDir`; `next(type)` resolves with the next message of that type. */
function startWriter(dataDir: string) {
  const child = fork(WRITER, [dataDir, String(WRITER_PAUSE_MS)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = <T extends WriterMessage['type']>(type: T) => new Promise<Extract<WriterMessage, { type: T }>>((resolve, reject) => {
    const onMessage = (m: WriterMessage) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m as Extract<WriterMessage, { type: T }>);
    };
    child.on('message', onMessage);
    void exited.then((code) => reject(new Error(`writer exited (code ${String(code)}) before '${type}':\n${output}`)));
  });
  return { child, next, exited };
}

describe('SQLite written by a second process at the same time', () => {
  it('answers every role create with 201 or 400, never a 5xx, and the other process loses no transaction', async () => {
    const admin = await loginAdmin(t.url);
    const headers = { ...bearer(admin), accept: 'application/json;version=37.0' };

    const w = startWriter(t.dataDir);
    writer = w.child;
    const running = w.next('running');
    const done = w.next('done');
    await running;

    const names = Array.from({ length: ROLES }, (_, i) => (i > 0 && i % DUPLICATE_EVERY === 0 ? `mp-role-${i - 1}` : `mp-role-${i}`));
    const statuses: number[] = new Array<number>(ROLES);
    const failures: string[] = [];
    let nextIndex = 0;
    const worker = async () => {
      // A duplicate may reach the server before its original (another worker): which of the two
      // gets the 201 is not asserted, only that each name is created once.
      for (let i = nextIndex++; i < ROLES; i = nextIndex++) {
        const res = await request(t.url, 'POST', '/cloudapi/1.0.0/roles', {
          headers, json: { name: names[i], description: 'written while another process writes the file' },
        });
        statuses[i] = res.status;
        if (res.status >= 500) failures.push(`${res.status} ${res.text}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    w.child.send('stop');
    const report: WriterDone = await done;
    expect(await w.exited).toBe(0);

    const count = (s: number) => statuses.filter((x) => x === s).length;
    const summary = `server: ${count(201)} x 201, ${count(400)} x 400, ${statuses.filter((s) => s >= 500).length} x 5xx `
      + `${JSON.stringify(failures.slice(0, 3))}; writer: ${report.committed} committed, ${report.failed} failed ${JSON.stringify(report.errors)}`;
    expect(failures, summary).toEqual([]);
    expect(report.failed, summary).toBe(0);
    // Each name is created exactly once: its first request 201, every repeat 400 (DUPLICATE_NAME).
    const firsts = new Set(names);
    expect(count(201), summary).toBe(firsts.size);
    expect(count(400), summary).toBe(ROLES - firsts.size);
    // The writer really wrote the server's file, all along: every commit is in its counter row,
    // which the server's own connection reads back.
    expect(report.committed, summary).toBeGreaterThan(0);
    expect(report.counter).toBe(report.committed);
    const row = await t.server.services.db.selectFrom('schema_meta').select('value').where('key', '=', report.key).executeTakeFirstOrThrow();
    expect(Number(row.value)).toBe(report.committed);
    const created = await t.server.services.db.selectFrom('roles').select('name').where('name', 'like', 'mp-role-%').execute();
    expect(created.map((r) => r.name).sort()).toEqual([...firsts].sort());
  });
});

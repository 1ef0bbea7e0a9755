import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/startup/terminal-log-stream.ts';
import { freePort, killServerProcess, startServerProcess, type ServerProcess } from '../faults/server-process.ts';

describe('formatLogLine: pino JSON as a line a person reads', () => {
  const at = new Date(2026, 11, 2, 9, 5, 7).getTime();
  it('time, level name, message, then the other fields as key=value', () => {
    const line = JSON.stringify({ level: 30, time: at, pid: 1, hostname: 'h', msg: 'shutting down', signal: 'SIGTERM', open: 2, reason: 'the database is not answering' });
    expect(formatLogLine(line, { colour: false })).toBe('09:05:07 INFO  shutting down  signal=SIGTERM open=2 reason="the database is not answering"\n');
  });
  it('a warning in colour when the terminal has colours; an error\'s stack on indented lines', () => {
    expect(formatLogLine(JSON.stringify({ level: 40, time: at, msg: 'w' }), { colour: true })).toBe('09:05:07 \u001b[33mWARN \u001b[0m w\n');
    const line = JSON.stringify({ level: 50, time: at, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' } });
    expect(formatLogLine(line, { colour: false })).toBe('09:05:07 ERROR failed\n    Error: boom\n        at x (y.ts:1:1)\n');
  });
  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text', { colour: false })).toBe('plain text\n');
  });
});

describe('opendirector serve: the first log line on the default set-up (issue 19)', () => {
  let server: ServerProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await killServerProcess(server);
    server = undefined;
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const start = async (nodeArgs: string[] = []) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-log-'));
    dirs.push(dataDir);
    server = await startServerProcess({ dataDir, port: await freePort(), env: { OPENDIRECTOR_LOG_LEVEL: 'info' }, nodeArgs });
    return server;
  };

  it('piped: JSON lines, and the SQLite notice is information (level 30), not a warning', async () => {
    const s = await start();
    const first = s.output().split('\n')[0]!;
    expect(JSON.parse(first)).toMatchObject({ level: 30, msg: expect.stringMatching(/^Using the embedded SQLite database in /) });
  });

  it('on a terminal: readable lines, no JSON', async () => {
    // The real serve, told its stdout is a terminal without colours (what a TTY without colour support looks like to it).
    const s = await start(['--import', 'data:text/javascript,process.stdout.isTTY=true;process.stdout.hasColors=()=>false;']);
    const first = s.output().split('\n')[0]!;
    expect(first).toMatch(/^\d\d:\d\d:\d\d INFO  Using the embedded SQLite database in \S+ \(for several cells or a managed database, set OPENDIRECTOR_DATABASE_URL to use PostgreSQL\)\.$/);
    expect(s.output()).not.toMatch(/"level":/);
  });
});

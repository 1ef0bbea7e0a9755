import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';

/** Distinct SQL texts kept prepared: only preparedQuery's compiled shapes come here. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * A second connection to the embedded SQLite file for the hot paths' compiled reads (issue 7:
 * bearer authentication, the token endpoint's lookup, `/api/org`, the token list).
 *
 * Through Kysely every query takes the one connection's mutex and runs through several promise
 * hops: ~7 µs more per lookup than the statement itself, and a read waits while any transaction
 * (a group commit, a revocation, the last-use flush) holds the connection. Here a compiled read
 * runs synchronously on its own connection: in WAL mode each statement is its own read
 * transaction over the latest *committed* state, so
 * - a write committed by any connection or process (a revocation on another cell sharing the
 *   file, the CLI) is seen by the very next read, as before;
 * - a transaction still open on the server's connection is never seen half-done (its rows appear
 *   at its COMMIT), and never makes the read wait.
 * The connection is `query_only`: a statement that would write is refused, not run.
 */
export class SnapshotReader {
  private readonly statements = new Map<string, SQLite.Statement>();
  /** Statements run so far (tests prove the hot paths come here). */
  reads = 0;

  private constructor(private readonly sqlite: SQLite.Database) {}

  /** Opens the reader on an existing database file (the server's connection created it, in WAL mode). */
  static open(file: string): SnapshotReader {
    const sqlite = new SQLite(file, { fileMustExist: true });
    try {
      // Only a WAL reset or crash recovery by another connection can make a read wait.
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('query_only = ON');
    } catch (err) {
      sqlite.close();
      throw err;
    }
    return new SnapshotReader(sqlite);
  }

  /** Runs a SELECT with its bound values and returns its rows, as Kysely's SQLite driver would. */
  all<Row>(sql: string, parameters: readonly unknown[]): Row[] {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.sqlite.prepare(sql);
      if (!stmt.reader) throw new Error(`SnapshotReader runs reads only, not: ${sql}`);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    this.reads++;
    return stmt.all(parameters) as Row[];
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }
}

const registry = new WeakMap<Kysely<never>, SnapshotReader>();

export function registerSnapshotReader<DB>(db: Kysely<DB>, reader: SnapshotReader): void {
  registry.set(db as unknown as Kysely<never>, reader);
}

/** The snapshot reader of an embedded SQLite database; undefined on PostgreSQL. */
export function snapshotReaderOf<DB>(db: Kysely<DB>): SnapshotReader | undefined {
  return registry.get(db as unknown as Kysely<never>);
}

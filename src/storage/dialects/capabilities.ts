import type { ColumnDefinitionBuilder, ColumnDataType } from 'kysely';

/**
 * What differs between the two engines, named (STYLE §7). Stores and migrations ask these,
 * never "is this SQLite?".
 */
export interface DialectCapabilities {
  readonly engine: 'sqlite' | 'postgres';
  /** Column type and modifier for an auto-incrementing integer primary key. */
  readonly autoIncrementType: ColumnDataType;
  autoIncrementColumn(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Operator that makes LIKE case-insensitive (query-service `==` is, spec §6.2). */
  readonly caseInsensitiveLike: 'like' | 'ilike';
  /**
   * Several server processes (cells) may work on this database at once (issue 6): state that
   * every cell must see (rate-limit counters, cache invalidations) lives in the database and
   * changes are announced with LISTEN/NOTIFY. An embedded SQLite file has one process.
   */
  readonly sharedByCells: boolean;
  /** Session-level advisory locks exist (pg_advisory_lock): start-up work runs one cell at a time. */
  readonly advisoryLocks: boolean;
}

export const sqliteCapabilities: DialectCapabilities = {
  engine: 'sqlite',
  autoIncrementType: 'integer',
  autoIncrementColumn: (col) => col.primaryKey().autoIncrement(),
  // SQLite's LIKE is already case-insensitive for ASCII.
  caseInsensitiveLike: 'like',
  sharedByCells: false,
  advisoryLocks: false,
};

export const postgresCapabilities: DialectCapabilities = {
  engine: 'postgres',
  autoIncrementType: 'serial',
  autoIncrementColumn: (col) => col.primaryKey(),
  caseInsensitiveLike: 'ilike',
  sharedByCells: true,
  advisoryLocks: true,
};

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
}

export const sqliteCapabilities: DialectCapabilities = {
  engine: 'sqlite',
  autoIncrementType: 'integer',
  autoIncrementColumn: (col) => col.primaryKey().autoIncrement(),
  // SQLite's LIKE is already case-insensitive for ASCII.
  caseInsensitiveLike: 'like',
};

export const postgresCapabilities: DialectCapabilities = {
  engine: 'postgres',
  autoIncrementType: 'serial',
  autoIncrementColumn: (col) => col.primaryKey(),
  caseInsensitiveLike: 'ilike',
};

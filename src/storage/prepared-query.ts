import type { CompiledQuery, Kysely } from 'kysely';
import { snapshotReaderOf } from './snapshot-reader.ts';

/**
 * A query built and compiled once, executed many times with new parameter values (issue 7).
 * Building and compiling a Kysely query costs tens of microseconds, more than SQLite takes to
 * run an indexed lookup; the hot paths (bearer authentication, the token endpoint) run the same
 * query shape on every request. Engine-neutral: the SQL is compiled by the database's own
 * dialect, only the parameter values change.
 *
 * `build` receives one placeholder value per argument and must use each exactly where the
 * argument goes (as a bound value, e.g. in `where`); the placeholders are then located among the
 * compiled parameters and replaced on each call.
 *
 * Only reads: on the embedded SQLite database they run on its snapshot reader (a second
 * connection, see snapshot-reader.ts), which refuses anything else.
 */
export function preparedQuery<DB, Row>(
  db: Kysely<DB>,
  arity: number,
  build: (...placeholders: string[]) => { compile(): CompiledQuery<Row> },
): (...args: readonly unknown[]) => Promise<Row[]> {
  let compiled: { query: CompiledQuery<Row>; slots: number[] } | undefined;
  const compile = () => {
    const placeholders = Array.from({ length: arity }, (_, i) => `\u0000opendirector-param-${i}\u0000`);
    const query = build(...placeholders).compile();
    const slots = query.parameters.map((p) => placeholders.indexOf(p as string));
    for (let i = 0; i < arity; i++) {
      if (!slots.includes(i)) throw new Error(`preparedQuery: placeholder ${i} is not a bound parameter of ${query.sql}`);
    }
    return { query, slots };
  };
  const reader = snapshotReaderOf(db);
  return async (...args: readonly unknown[]): Promise<Row[]> => {
    compiled ??= compile();
    const { query, slots } = compiled;
    const parameters = query.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    if (reader) return reader.all<Row>(query.sql, parameters);
    const result = await db.executeQuery<Row>({ ...query, parameters });
    return result.rows;
  };
}

/**
 * A multi-row INSERT of fixed columns, compiled once per row count and then run with the rows'
 * values (issue 7: the group-commit writer inserts a batch per event-loop turn, and building the
 * INSERT with Kysely cost more than SQLite took to run it). Engine-neutral like preparedQuery:
 * the SQL is compiled by the dialect of the database it first runs on, so keep one per database.
 * Every row must have exactly `columns` (undefined → NULL).
 */
export function preparedInsert<DB, T extends keyof DB & string>(
  table: T,
  columns: readonly string[],
): (db: Kysely<DB>, rows: readonly Record<string, unknown>[]) => Promise<void> {
  const bySize = new Map<number, { query: CompiledQuery; slots: [row: number, column: number][] }>();
  const compile = (db: Kysely<DB>, n: number) => {
    const key = (r: number, c: number) => `\u0000opendirector-row-${r}-${c}\u0000`;
    const rows = Array.from({ length: n }, (_, r) => Object.fromEntries(columns.map((col, c) => [col, key(r, c)])));
    // The table's typed insert builder cannot be named generically here; the rows are built from
    // `columns`, which the caller types against the table (see GroupCommitWriter).
    const query = (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(table).values(rows).compile();
    const slots = query.parameters.map((p): [number, number] => {
      const m = /^\u0000opendirector-row-(\d+)-(\d+)\u0000$/.exec(String(p));
      if (!m) throw new Error(`preparedInsert: unexpected parameter in ${query.sql}`);
      return [Number(m[1]), Number(m[2])];
    });
    return { query, slots };
  };
  return async (db, rows) => {
    if (rows.length === 0) return;
    let compiled = bySize.get(rows.length);
    if (!compiled) {
      compiled = compile(db, rows.length);
      if (bySize.size < 512) bySize.set(rows.length, compiled);
    }
    const parameters = compiled.slots.map(([r, c]) => rows[r]![columns[c]!] ?? null);
    await db.executeQuery({ ...compiled.query, parameters });
  };
}

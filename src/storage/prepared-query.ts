import type { CompiledQuery, Kysely } from 'kysely';

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
  return async (...args: readonly unknown[]): Promise<Row[]> => {
    compiled ??= compile();
    const { query, slots } = compiled;
    const parameters = query.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    const result = await db.executeQuery<Row>({ ...query, parameters });
    return result.rows;
  };
}

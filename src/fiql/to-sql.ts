import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { AppError, isAppError } from '../errors/app-error.ts';
import { parseFiqlNumber, parseFiqlTimestamp, type FiqlComparison, type FiqlNode, type FiqlOperator } from './parse.ts';

/**
 * How one public selector maps onto storage. `column` may be qualified (`u.username`); `type`
 * defaults to `'string'`; `map` converts the client's value to the stored form before anything
 * else (e.g. `urn:vcloud:user:<uuid>` → `<uuid>`). When the value has wildcards, `map` is applied
 * to each literal piece between them, so it must tolerate partial values (or throw to refuse).
 */
export interface FiqlField {
  column: string;
  type?: 'string' | 'number' | 'boolean' | 'timestamp';
  caseInsensitive?: boolean;
  map?: (v: string) => string;
}

/** The selectors a list endpoint accepts, keyed by the public (dotted) selector name. */
export type FiqlFieldMap = Record<string, FiqlField>;

type WhereFactory<DB, TB extends keyof DB> = (eb: ExpressionBuilder<DB, TB>) => Expression<SqlBool>;

const SQL_OPERATORS = {
  '==': '=',
  '!=': '<>',
  '=lt=': '<',
  '=le=': '<=',
  '=gt=': '>',
  '=ge=': '>=',
} as const satisfies Record<FiqlOperator, string>;

function invalid(message: string): AppError {
  return new AppError('INVALID_FILTER', { message: `Invalid filter: ${message}` });
}

/**
 * Translates a parsed filter into a Kysely `where` callback.
 *
 * Everything that can be wrong with the filter (unknown selector, a value of the wrong type) is
 * checked here, eagerly, so the error surfaces before any SQL is built. Semantics (spec §6.2):
 * - `==` / `!=` with an unescaped `*` on a string field become `LIKE` / `NOT LIKE` with `%` for `*`
 *   and `%`, `_`, `\` escaped (`ESCAPE '\'`). Pass the dialect's case-insensitive LIKE
 *   (`DialectCapabilities.caseInsensitiveLike`).
 * - `caseInsensitive` fields compare `lower(column)` with `lower(value)` for every operator; this is
 *   portable (SQLite has no ILIKE) and gives the same answer on both engines.
 * - Wildcards are not supported by number/boolean/timestamp fields; ordering operators treat `*`
 *   literally.
 * - SQL NULL never matches, not even `!=`.
 */
// The defaults matter: `.where()` is overloaded, so TypeScript cannot infer DB/TB from it; without
// defaults they would fall back to `unknown`/`never` and the callback would not fit any query.
export function fiqlToWhere<DB = any, TB extends keyof DB = keyof DB>(
  node: FiqlNode,
  fields: FiqlFieldMap,
  likeOperator: 'like' | 'ilike',
): (eb: ExpressionBuilder<DB, TB>) => Expression<SqlBool> {
  // sql.raw below: never let anything but the two known operators reach the query text.
  if (likeOperator !== 'like' && likeOperator !== 'ilike') throw new TypeError('likeOperator must be like or ilike');
  return compile<DB, TB>(node, fields, likeOperator);
}

function compile<DB, TB extends keyof DB>(node: FiqlNode, fields: FiqlFieldMap, likeOp: 'like' | 'ilike'): WhereFactory<DB, TB> {
  if (node.kind === 'comparison') return compileComparison<DB, TB>(node, fields, likeOp);
  const children = node.children.map((child) => compile<DB, TB>(child, fields, likeOp));
  return node.kind === 'and'
    ? (eb) => eb.and(children.map((child) => child(eb)))
    : (eb) => eb.or(children.map((child) => child(eb)));
}

function lookupField(selector: string, fields: FiqlFieldMap): FiqlField {
  // Object.hasOwn: a selector such as `constructor` must not find Object.prototype members.
  const field = Object.hasOwn(fields, selector) ? fields[selector] : undefined;
  if (field === undefined) {
    const allowed = Object.keys(fields).sort().join(', ');
    throw invalid(`unknown selector '${selector}'; allowed selectors are: ${allowed || '(none)'}.`);
  }
  return field;
}

function compileComparison<DB, TB extends keyof DB>(
  c: FiqlComparison,
  fields: FiqlFieldMap,
  likeOp: 'like' | 'ilike',
): WhereFactory<DB, TB> {
  const field = lookupField(c.selector, fields);
  const type = field.type ?? 'string';
  if (c.pattern !== undefined && type === 'string' && (c.operator === '==' || c.operator === '!=')) {
    const pieces = c.pattern.map((piece) => applyMap(field, c.selector, piece));
    return likeCondition(field, pieces, c.operator === '!=', likeOp);
  }
  const value = convertValue(applyMap(field, c.selector, c.value), type, c.selector);
  const op = SQL_OPERATORS[c.operator];
  if (type === 'string' && field.caseInsensitive === true) {
    return () => sql<SqlBool>`lower(${sql.ref(field.column)}) ${sql.raw(op)} lower(${value})`;
  }
  return (eb) => eb(sql.ref(field.column), op, value);
}

function applyMap(field: FiqlField, selector: string, value: string): string {
  if (field.map === undefined) return value;
  try {
    return field.map(value);
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new AppError('INVALID_FILTER', { message: `Invalid filter: '${value}' is not a valid value for '${selector}'.`, cause: e });
  }
}

/** Converts the (mapped) text to what the column stores: booleans are integer 0/1 (spec §6.2). */
function convertValue(value: string, type: NonNullable<FiqlField['type']>, selector: string): string | number {
  switch (type) {
    case 'string':
      return value;
    case 'number': {
      const n = parseFiqlNumber(value);
      if (n === undefined) throw invalid(`'${selector}' takes a number, not '${value}'.`);
      return n;
    }
    case 'boolean':
      if (value === 'true') return 1;
      if (value === 'false') return 0;
      throw invalid(`'${selector}' takes true or false, not '${value}'.`);
    case 'timestamp': {
      const iso = parseFiqlTimestamp(value);
      if (iso === undefined) throw invalid(`'${selector}' takes an ISO-8601 timestamp such as 2024-05-01T08:00:00.000Z, not '${value}'.`);
      return iso;
    }
  }
}

/** The LIKE pattern for literal pieces separated by wildcards, escaping LIKE's own metacharacters. */
export function toLikePattern(pieces: readonly string[]): string {
  return pieces.map((piece) => piece.replace(/[\\%_]/g, '\\$&')).join('%');
}

function likeCondition<DB, TB extends keyof DB>(
  field: FiqlField,
  pieces: readonly string[],
  negate: boolean,
  likeOp: 'like' | 'ilike',
): WhereFactory<DB, TB> {
  const pattern = toLikePattern(pieces);
  const ci = field.caseInsensitive === true;
  const target = ci ? sql`lower(${sql.ref(field.column)})` : sql.ref(field.column);
  const rhs = ci ? sql`lower(${pattern})` : sql`${pattern}`;
  const op = sql.raw(negate ? `not ${likeOp}` : likeOp);
  return () => sql<SqlBool>`${target} ${op} ${rhs} escape '\\'`;
}

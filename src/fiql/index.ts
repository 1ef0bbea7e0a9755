/**
 * The one FIQL filter implementation shared by every list endpoint (spec §6.2): parse once, then
 * either translate to a Kysely `where` or evaluate in memory.
 */

/** The filter tree, its leaf and operator types. */
export type { FiqlComparison, FiqlNode, FiqlOperator } from './parse.ts';
/** Parses a filter string into a FiqlNode, throwing only AppError('INVALID_FILTER'). */
export { parseFiql } from './parse.ts';
/** The input length, nesting depth and comparison-count limits parseFiql enforces. */
export { FIQL_LIMITS } from './parse.ts';
/** Whether a comparison's value contains an unescaped `*` wildcard. */
export { hasWildcard } from './parse.ts';
/** Parses a filter value as a plain decimal number (undefined when it is not one). */
export { parseFiqlNumber } from './parse.ts';
/** Normalises an ISO-8601 date or zoned date-time filter value to toISOString() form. */
export { parseFiqlTimestamp } from './parse.ts';
/** How public selectors map onto (possibly qualified) columns, with type, case and value mapping. */
export type { FiqlField, FiqlFieldMap } from './to-sql.ts';
/** Translates a FiqlNode into a Kysely `where` callback, validating selectors and values eagerly. */
export { fiqlToWhere } from './to-sql.ts';
/** Builds an escaped LIKE pattern (ESCAPE '\') from the literal pieces between wildcards. */
export { toLikePattern } from './to-sql.ts';
/** Options for in-memory matching: case-insensitivity and the accepted selectors. */
export type { FiqlMatchOptions } from './matches.ts';
/** Evaluates a FiqlNode against one in-memory record with the same semantics as fiqlToWhere. */
export { matchesFiql } from './matches.ts';

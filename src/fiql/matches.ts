import { AppError } from '../errors/app-error.ts';
import { parseFiqlNumber, parseFiqlTimestamp, type FiqlComparison, type FiqlNode } from './parse.ts';

/** Options for {@link matchesFiql}. */
export interface FiqlMatchOptions {
  /** Compare strings (and wildcard patterns) after lower-casing both sides. */
  caseInsensitive?: boolean;
  /**
   * The selectors the list accepts. When given, a selector outside it is rejected even if the
   * record happens to have it, and a listed selector missing from a record just doesn't match.
   * When omitted, a selector is known iff it resolves in the record (own properties only).
   */
  selectors?: readonly string[];
}

type Resolved = { found: true; value: unknown } | { found: false };

/** Walks a dotted selector through nested plain objects, own properties only. */
function resolve(record: Record<string, unknown>, selector: string): Resolved {
  let current: unknown = record;
  for (const key of selector.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

function unknownSelector(selector: string, options: FiqlMatchOptions): AppError {
  const allowed = options.selectors ? `; allowed selectors are: ${[...options.selectors].sort().join(', ')}` : '';
  return new AppError('INVALID_FILTER', { message: `Invalid filter: unknown selector '${selector}'${allowed}.` });
}

function comparisons(node: FiqlNode): FiqlComparison[] {
  return node.kind === 'comparison' ? [node] : node.children.flatMap(comparisons);
}

/** Throws for unknown selectors up front, so short-circuiting never hides one. */
function assertKnownSelectors(node: FiqlNode, record: Record<string, unknown>, options: FiqlMatchOptions): void {
  for (const { selector } of comparisons(node)) {
    const known = options.selectors ? options.selectors.includes(selector) : resolve(record, selector).found;
    if (!known) throw unknownSelector(selector, options);
  }
}

/**
 * Evaluates a filter against one in-memory record (for small lists that never reach SQL), with
 * the same semantics as `fiqlToWhere` (spec §6.2): unescaped `*` is a wildcard for `==`/`!=`;
 * null, undefined, objects and arrays never match (like SQL NULL); a number in the record is
 * compared numerically with a numeric filter value; two ISO timestamps are compared as instants;
 * everything else compares as strings (booleans as `true`/`false`, Dates as ISO strings).
 * Throws `AppError('INVALID_FILTER')` for an unknown selector.
 */
export function matchesFiql(node: FiqlNode, record: Record<string, unknown>, options: FiqlMatchOptions = {}): boolean {
  assertKnownSelectors(node, record, options);
  return evaluate(node, record, options.caseInsensitive === true);
}

function evaluate(node: FiqlNode, record: Record<string, unknown>, ci: boolean): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => evaluate(child, record, ci));
    case 'or':
      return node.children.some((child) => evaluate(child, record, ci));
    case 'comparison': {
      const resolved = resolve(record, node.selector);
      return resolved.found && matchComparison(node, resolved.value, ci);
    }
  }
}

/** The comparable form of a record value, or undefined for values that never match. */
function scalar(value: unknown): string | number | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return undefined;
}

function matchComparison(c: FiqlComparison, raw: unknown, ci: boolean): boolean {
  const actual = scalar(raw);
  if (actual === undefined) return false;
  if (c.pattern !== undefined && (c.operator === '==' || c.operator === '!=')) {
    const hit = wildcardRegExp(c.pattern, ci).test(fold(String(actual), ci));
    return c.operator === '==' ? hit : !hit;
  }
  const order = compare(actual, c.value, ci);
  switch (c.operator) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '=lt=':
      return order < 0;
    case '=le=':
      return order <= 0;
    case '=gt=':
      return order > 0;
    case '=ge=':
      return order >= 0;
  }
}

function fold(s: string, ci: boolean): string {
  return ci ? s.toLowerCase() : s;
}

/** An anchored regular expression for literal pieces separated by `*` wildcards. */
function wildcardRegExp(pieces: readonly string[], ci: boolean): RegExp {
  const body = pieces.map((piece) => fold(piece, ci).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('.*');
  // `s`: a wildcard spans newlines too, as `%` does in LIKE.
  return new RegExp(`^${body}$`, 's');
}

/** Sign of actual − expected: numerically when possible, as instants for two timestamps, else as text. */
function compare(actual: string | number, expected: string, ci: boolean): number {
  if (typeof actual === 'number') {
    const n = parseFiqlNumber(expected);
    if (n !== undefined) return actual < n ? -1 : actual > n ? 1 : 0;
  }
  let a = String(actual);
  let b = expected;
  const [ta, tb] = [parseFiqlTimestamp(a), parseFiqlTimestamp(b)];
  if (ta !== undefined && tb !== undefined) [a, b] = [ta, tb];
  [a, b] = [fold(a, ci), fold(b, ci)];
  return a < b ? -1 : a > b ? 1 : 0;
}

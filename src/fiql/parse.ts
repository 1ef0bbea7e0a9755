import { AppError } from '../errors/app-error.ts';

/** The six FIQL comparison operators the query service accepts (spec §6.2); `=in=` and friends are not. */
export type FiqlOperator = '==' | '!=' | '=lt=' | '=le=' | '=gt=' | '=ge=';

/**
 * One `selector operator value` leaf.
 *
 * `value` is the text with every escape removed, so an escaped `\*` and a wildcard `*` both read
 * as `*` there. Wildcards are carried separately: `pattern` is present only when the value holds
 * at least one unescaped `*`, and lists the literal text between the wildcards
 * (`a*b\*c` → value `a*b*c`, pattern `['a', 'b*c']`; `*` → pattern `['', '']`).
 */
export interface FiqlComparison {
  kind: 'comparison';
  selector: string;
  operator: FiqlOperator;
  value: string;
  pattern?: string[];
}

/** A parsed filter: AND/OR groups (always two or more children) over comparisons. */
export type FiqlNode =
  | { kind: 'and'; children: FiqlNode[] }
  | { kind: 'or'; children: FiqlNode[] }
  | FiqlComparison;

/** Hard limits that keep a hostile filter from costing more than a trivial one (spec §6.2). */
export const FIQL_LIMITS = Object.freeze({ maxLength: 4096, maxDepth: 32, maxComparisons: 64 });

// Longest first is not needed: no operator is a prefix of another.
const OPERATORS: readonly FiqlOperator[] = ['==', '!=', '=lt=', '=le=', '=gt=', '=ge='];
const SELECTOR_CHAR = /[A-Za-z0-9_.]/;
const SELECTOR = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

function fail(message: string): never {
  throw new AppError('INVALID_FILTER', { message: `Invalid filter: ${message}` });
}

/** `'x'` for a character, or a phrase for the end of input; positions in messages are 1-based. */
function describe(ch: string | undefined): string {
  return ch === undefined ? 'the end of the filter' : `'${ch}'`;
}

/**
 * Recursive-descent parser. Grammar (spec §6.2, Cloud Director CloudAPI / query service):
 *
 *   or         := and (',' and)*          — OR binds loosest
 *   and        := primary (';' primary)*  — AND binds tighter than OR
 *   primary    := '(' or ')' | comparison
 *   comparison := selector operator value
 *
 * Nested groups are kept as written (no flattening of `(a;b);c`) so the tree mirrors the text;
 * a group with a single child collapses to that child.
 */
class Parser {
  private pos = 0;
  private comparisons = 0;

  constructor(private readonly input: string) {}

  parse(): FiqlNode {
    const node = this.parseOr(0);
    // parseOr consumes every ';' and ','; a leftover character can only be a stray ')'.
    if (this.pos < this.input.length) {
      fail(`unbalanced ${describe(this.peek())} at position ${this.pos + 1}.`);
    }
    return node;
  }

  private peek(): string | undefined {
    return this.input[this.pos];
  }

  private parseOr(depth: number): FiqlNode {
    const children = [this.parseAnd(depth)];
    while (this.peek() === ',') {
      this.pos++;
      children.push(this.parseAnd(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private parseAnd(depth: number): FiqlNode {
    const children = [this.parsePrimary(depth)];
    while (this.peek() === ';') {
      this.pos++;
      children.push(this.parsePrimary(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private parsePrimary(depth: number): FiqlNode {
    if (this.peek() !== '(') return this.parseComparison();
    // Checked before recursing, so depth 1000 fails fast instead of overflowing the stack.
    if (depth >= FIQL_LIMITS.maxDepth) {
      fail(`parentheses nested deeper than ${FIQL_LIMITS.maxDepth} levels at position ${this.pos + 1}.`);
    }
    const open = this.pos++;
    const node = this.parseOr(depth + 1);
    if (this.peek() !== ')') {
      fail(`expected ')' to close the '(' at position ${open + 1} but found ${describe(this.peek())} at position ${this.pos + 1}.`);
    }
    this.pos++;
    return node;
  }

  private parseComparison(): FiqlComparison {
    const selector = this.readSelector();
    const operator = this.readOperator(selector);
    if (++this.comparisons > FIQL_LIMITS.maxComparisons) {
      fail(`more than ${FIQL_LIMITS.maxComparisons} comparisons.`);
    }
    const { value, pattern } = this.readValue();
    return pattern === undefined
      ? { kind: 'comparison', selector, operator, value }
      : { kind: 'comparison', selector, operator, value, pattern };
  }

  private readSelector(): string {
    const start = this.pos;
    while (this.pos < this.input.length && SELECTOR_CHAR.test(this.input[this.pos]!)) this.pos++;
    const selector = this.input.slice(start, this.pos);
    if (selector === '') {
      fail(`expected a selector at position ${start + 1} but found ${describe(this.peek())}.`);
    }
    if (!SELECTOR.test(selector)) {
      fail(`'${selector}' at position ${start + 1} is not a valid selector (dotted names such as owner.name).`);
    }
    return selector;
  }

  private readOperator(selector: string): FiqlOperator {
    const op = OPERATORS.find((candidate) => this.input.startsWith(candidate, this.pos));
    if (op === undefined) {
      fail(
        `expected an operator (${OPERATORS.join(' ')}) after '${selector}' at position ${this.pos + 1}` +
          ` but found ${describe(this.peek())}.`,
      );
    }
    this.pos += op.length;
    return op;
  }

  /**
   * A value runs to the next unescaped `;`, `,` or `)` (spec §6.2); it may be empty. A backslash
   * makes the next character literal; only an unescaped `*` is a wildcard.
   */
  private readValue(): { value: string; pattern: string[] | undefined } {
    let value = '';
    let segment = '';
    const segments: string[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== ';' && ch !== ',' && ch !== ')'; ch = this.peek()) {
      if (ch === '\\') {
        const escaped = this.input[this.pos + 1];
        if (escaped === undefined) fail(`a '\\' at position ${this.pos + 1} escapes nothing.`);
        value += escaped;
        segment += escaped;
        this.pos += 2;
      } else if (ch === '*') {
        value += ch;
        segments.push(segment);
        segment = '';
        this.pos++;
      } else {
        value += ch;
        segment += ch;
        this.pos++;
      }
    }
    return { value, pattern: segments.length === 0 ? undefined : [...segments, segment] };
  }
}

/**
 * Parses a FIQL filter (spec §6.2). Throws only `AppError('INVALID_FILTER')`, with a message that
 * says what is wrong and where (1-based position). Nothing is trimmed: whitespace is data.
 */
export function parseFiql(input: string): FiqlNode {
  if (typeof input !== 'string') fail('the filter must be a string.');
  if (input.length > FIQL_LIMITS.maxLength) {
    fail(`the filter is ${input.length} characters long; at most ${FIQL_LIMITS.maxLength} are allowed.`);
  }
  // No stored value holds NUL, and PostgreSQL refuses it in a text parameter (a 500 there,
  // issue 6): refuse it here so both engines answer the same 400.
  if (input.includes('\u0000')) fail('the filter contains a NUL character.');
  try {
    return new Parser(input).parse();
  } catch (e) {
    if (e instanceof AppError) throw e;
    // Belt and braces: the contract is "INVALID_FILTER or a node", whatever happens inside.
    throw new AppError('INVALID_FILTER', { message: 'Invalid filter.', cause: e });
  }
}

/** True when the comparison's value contains at least one unescaped `*` wildcard. */
export function hasWildcard(node: FiqlComparison): node is FiqlComparison & { pattern: string[] } {
  return node.pattern !== undefined;
}

// Plain decimal / exponent notation only: Number() alone would also take '', ' 1', '0x1f'.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value as a finite number, or undefined when it is not plain decimal notation. */
export function parseFiqlNumber(value: string): number | undefined {
  if (!NUMBER.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

// A date, optionally with a zoned time; a zone is required so the result never depends on the
// server's local time zone.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

/**
 * The value normalised to `Date#toISOString()` form (how timestamps are stored, so text order is
 * time order), or undefined when it is not an ISO-8601 date or zoned date-time.
 */
export function parseFiqlTimestamp(value: string): string | undefined {
  const m = TIMESTAMP.exec(value);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse rolls 2024-02-30 over to March; reject days the month does not have.
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day); // not Date.UTC: that maps years 0-99 to 19xx
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

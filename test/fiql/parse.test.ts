import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AppError } from '../../src/errors/app-error.ts';
import { FIQL_LIMITS, hasWildcard, parseFiql, parseFiqlNumber, parseFiqlTimestamp } from '../../src/fiql/index.ts';
import type { FiqlComparison, FiqlNode, FiqlOperator } from '../../src/fiql/index.ts';

const cmp = (selector: string, operator: FiqlOperator, value: string, pattern?: string[]): FiqlComparison =>
  pattern === undefined ? { kind: 'comparison', selector, operator, value } : { kind: 'comparison', selector, operator, value, pattern };

/** Asserts that parsing throws INVALID_FILTER and returns the message. */
function invalid(input: string): string {
  try {
    parseFiql(input);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID_FILTER');
    return (e as AppError).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseFiql: filters real clients send', () => {
  it('Go SDK token lookup', () => {
    expect(parseFiql('(name==ci-pipeline;owner.name==alice;(type==PROXY,type==REFRESH))')).toEqual({
      kind: 'and',
      children: [
        cmp('name', '==', 'ci-pipeline'),
        cmp('owner.name', '==', 'alice'),
        { kind: 'or', children: [cmp('type', '==', 'PROXY'), cmp('type', '==', 'REFRESH')] },
      ],
    });
  });

  it('CSE escaped name', () => {
    expect(parseFiql('type==REFRESH;name==my\\,token\\;x')).toEqual({
      kind: 'and',
      children: [cmp('type', '==', 'REFRESH'), cmp('name', '==', 'my,token;x')],
    });
  });

  it('audit timestamp', () => {
    expect(parseFiql('timestamp=gt=2024-05-01T08:00:00.000Z')).toEqual(cmp('timestamp', '=gt=', '2024-05-01T08:00:00.000Z'));
  });

  it('right names with spaces, colon, slash and escaped commas', () => {
    expect(parseFiql('name==Group / User: View')).toEqual(cmp('name', '==', 'Group / User: View'));
    expect(parseFiql('name==Role: Create\\, Edit\\, Delete\\, or Copy')).toEqual(
      cmp('name', '==', 'Role: Create, Edit, Delete, or Copy'),
    );
  });
});

describe('parseFiql: grammar', () => {
  it('accepts all six operators', () => {
    for (const op of ['==', '!=', '=lt=', '=le=', '=gt=', '=ge='] as const) {
      expect(parseFiql(`size${op}5`)).toEqual(cmp('size', op, '5'));
    }
  });

  it('AND binds tighter than OR', () => {
    expect(parseFiql('a==1,b==2;c==3')).toEqual({
      kind: 'or',
      children: [cmp('a', '==', '1'), { kind: 'and', children: [cmp('b', '==', '2'), cmp('c', '==', '3')] }],
    });
  });

  it('parentheses override precedence and single-child groups collapse', () => {
    expect(parseFiql('(a==1,b==2);c==3')).toEqual({
      kind: 'and',
      children: [{ kind: 'or', children: [cmp('a', '==', '1'), cmp('b', '==', '2')] }, cmp('c', '==', '3')],
    });
    expect(parseFiql('((a==1))')).toEqual(cmp('a', '==', '1'));
  });

  it('keeps nested groups of the same kind as written', () => {
    expect(parseFiql('(a==1;b==2);c==3')).toEqual({
      kind: 'and',
      children: [{ kind: 'and', children: [cmp('a', '==', '1'), cmp('b', '==', '2')] }, cmp('c', '==', '3')],
    });
  });

  it('marks unescaped * as wildcards and keeps escaped * literal', () => {
    const node = parseFiql('name==a*b\\*c') as FiqlComparison;
    expect(node).toEqual(cmp('name', '==', 'a*b*c', ['a', 'b*c']));
    expect(hasWildcard(node)).toBe(true);
    const literal = parseFiql('name==a\\*') as FiqlComparison;
    expect(literal).toEqual(cmp('name', '==', 'a*'));
    expect(hasWildcard(literal)).toBe(false);
    expect(parseFiql('name==*')).toEqual(cmp('name', '==', '*', ['', '']));
  });

  it('removes every escape, including of ordinary characters', () => {
    expect(parseFiql('name==\\(\\)\\\\\\a')).toEqual(cmp('name', '==', '()\\a'));
  });

  it('takes empty values, = and ( inside values, and whitespace verbatim', () => {
    expect(parseFiql('name==')).toEqual(cmp('name', '==', ''));
    expect(parseFiql('name!=;x==1')).toEqual({ kind: 'and', children: [cmp('name', '!=', ''), cmp('x', '==', '1')] });
    expect(parseFiql('name==a=b(c')).toEqual(cmp('name', '==', 'a=b(c'));
    expect(parseFiql('name== x ')).toEqual(cmp('name', '==', ' x '));
  });

  it('accepts unicode values', () => {
    expect(parseFiql('name==日本語 😀')).toEqual(cmp('name', '==', '日本語 😀'));
  });
});

describe('parseFiql: hostile and malformed input', () => {
  it.each([
    ['', 'expected a selector at position 1'],
    ['(name==a', "expected ')' to close the '(' at position 1"],
    ['name==a)', "unbalanced ')' at position 8"],
    ['name==a;', 'expected a selector at position 9'],
    ['name==a,', 'expected a selector at position 9'],
    [';name==a', 'expected a selector at position 1'],
    ['==', 'expected a selector at position 1'],
    ['==a', 'expected a selector at position 1'],
    ['name', 'expected an operator'],
    ['name=', 'expected an operator'],
    ['name=in=(a,b)', 'expected an operator'],
    ['name<5', 'expected an operator'],
    ['owner..name==a', 'not a valid selector'],
    ['.name==a', 'not a valid selector'],
    ['name.==a', 'not a valid selector'],
    ['na me==a', 'expected an operator'],
    ['name==a\\', 'escapes nothing'],
    ['()', 'expected a selector at position 2'],
    ['a==1;;b==2', 'expected a selector at position 6'],
  ])('%j → INVALID_FILTER (%s)', (input, fragment) => {
    expect(invalid(input)).toContain(fragment);
  });

  it('rejects input longer than the limit (10k characters)', () => {
    expect(invalid(`name==${'x'.repeat(10_000)}`)).toContain('at most 4096');
    expect(() => parseFiql(`name==${'x'.repeat(FIQL_LIMITS.maxLength - 6)}`)).not.toThrow();
  });

  it('rejects depth-1000 nesting without overflowing the stack', () => {
    expect(invalid(`${'('.repeat(1000)}a==1${')'.repeat(1000)}`)).toContain('nested deeper than 32');
    expect(invalid('('.repeat(1000))).toContain('nested deeper than 32');
  });

  it('allows exactly the maximum nesting depth', () => {
    const depth = FIQL_LIMITS.maxDepth;
    expect(parseFiql(`${'('.repeat(depth)}a==1${')'.repeat(depth)}`)).toEqual(cmp('a', '==', '1'));
    expect(invalid(`${'('.repeat(depth + 1)}a==1${')'.repeat(depth + 1)}`)).toContain('nested deeper');
  });

  it('allows 64 comparisons and rejects 65', () => {
    const filter = (n: number): string => Array.from({ length: n }, (_, i) => `a==${i}`).join(',');
    expect(parseFiql(filter(64))).toMatchObject({ kind: 'or' });
    expect(invalid(filter(65))).toContain('more than 64 comparisons');
  });

  it('rejects a non-string at run time with INVALID_FILTER', () => {
    expect(() => parseFiql(undefined as unknown as string)).toThrow(AppError);
  });
});

describe('value helpers', () => {
  it('parseFiqlNumber takes plain decimal notation only', () => {
    expect(parseFiqlNumber('42')).toBe(42);
    expect(parseFiqlNumber('-1.5e2')).toBe(-150);
    expect(parseFiqlNumber('.5')).toBe(0.5);
    for (const bad of ['', ' 1', '0x1f', 'Infinity', '1e999', 'NaN', '1_000']) expect(parseFiqlNumber(bad)).toBeUndefined();
  });

  it('parseFiqlTimestamp normalises to toISOString form', () => {
    expect(parseFiqlTimestamp('2024-05-01T08:00:00.000Z')).toBe('2024-05-01T08:00:00.000Z');
    expect(parseFiqlTimestamp('2024-05-01T08:00:00Z')).toBe('2024-05-01T08:00:00.000Z');
    expect(parseFiqlTimestamp('2024-05-01T10:00:00+02:00')).toBe('2024-05-01T08:00:00.000Z');
    expect(parseFiqlTimestamp('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    for (const bad of ['2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01T08:00:00', 'yesterday']) {
      expect(parseFiqlTimestamp(bad)).toBeUndefined();
    }
  });
});

// ---- property tests -------------------------------------------------------------------------

/** Serialises a tree back to FIQL, escaping every character the grammar gives meaning to. */
function serialise(node: FiqlNode): string {
  if (node.kind === 'comparison') {
    const pieces = node.pattern ?? [node.value];
    return `${node.selector}${node.operator}${pieces.map((p) => p.replace(/[\\;,()*]/g, '\\$&')).join('*')}`;
  }
  const sep = node.kind === 'and' ? ';' : ',';
  return node.children.map((c) => (c.kind === 'comparison' ? serialise(c) : `(${serialise(c)})`)).join(sep);
}

const valueChar = fc.oneof(
  fc.constantFrom(';', ',', '(', ')', '\\', '*', '=', '!', '<', '>', ' '),
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x10000, max: 0x1f9ff }).map((c) => String.fromCodePoint(c)),
);
const piece = fc.string({ unit: valueChar, maxLength: 8 });
const selectorArb = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('.'));
const operatorArb = fc.constantFrom<FiqlOperator>('==', '!=', '=lt=', '=le=', '=gt=', '=ge=');
const comparisonArb: fc.Arbitrary<FiqlNode> = fc
  .record({ selector: selectorArb, operator: operatorArb, pieces: fc.array(piece, { minLength: 1, maxLength: 3 }) })
  .map(({ selector, operator, pieces }) => cmp(selector, operator, pieces.join('*'), pieces.length > 1 ? pieces : undefined));

const { tree } = fc.letrec<{ tree: FiqlNode }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    comparisonArb,
    fc.record({ kind: fc.constantFrom<'and' | 'or'>('and', 'or'), children: fc.array(tie('tree'), { minLength: 2, maxLength: 3 }) }),
  ),
}));

const token = fc.oneof(
  fc.constantFrom('(', ')', ';', ',', '==', '!=', '=lt=', '=ge=', '=in=', '\\', '*', 'name', 'owner.name', '.', '=', 'a'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

describe('parseFiql: properties', () => {
  it('any string parses or throws INVALID_FILTER, never anything else', () => {
    const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(token, { maxLength: 40 }).map((t) => t.join('')));
    fc.assert(
      fc.property(input, (s) => {
        try {
          parseFiql(s);
        } catch (e) {
          return e instanceof AppError && e.code === 'INVALID_FILTER';
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('serialise → parse round-trips any tree', () => {
    fc.assert(
      fc.property(tree, (node) => {
        expect(parseFiql(serialise(node))).toEqual(node);
      }),
      { numRuns: 2000 },
    );
  });
});

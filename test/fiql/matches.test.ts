import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AppError } from '../../src/errors/app-error.ts';
import { matchesFiql, parseFiql } from '../../src/fiql/index.ts';
import type { FiqlMatchOptions } from '../../src/fiql/index.ts';

const token = {
  name: 'ci-pipeline',
  type: 'PROXY',
  owner: { name: 'alice', id: 'urn:vcloud:user:1' },
  timestamp: '2024-05-01T09:30:00.000Z',
  size: 10,
  active: true,
  note: null,
};

const matches = (filter: string, record: Record<string, unknown> = token, options?: FiqlMatchOptions): boolean =>
  matchesFiql(parseFiql(filter), record, options);

function expectInvalid(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID_FILTER');
    expect((e as AppError).message).toContain(fragment);
    return;
  }
  throw new Error('expected INVALID_FILTER');
}

describe('matchesFiql: filters real clients send', () => {
  it('Go SDK filter with dotted selector and OR group', () => {
    expect(matches('(name==ci-pipeline;owner.name==alice;(type==PROXY,type==REFRESH))')).toBe(true);
    expect(matches('(name==ci-pipeline;owner.name==bob;(type==PROXY,type==REFRESH))')).toBe(false);
    expect(matches('(name==ci-pipeline;owner.name==alice;(type==SERVICE,type==REFRESH))')).toBe(false);
  });

  it('CSE escaped name', () => {
    expect(matches('type==REFRESH;name==my\\,token\\;x', { type: 'REFRESH', name: 'my,token;x' })).toBe(true);
  });

  it('audit timestamp, with and without milliseconds', () => {
    expect(matches('timestamp=gt=2024-05-01T08:00:00.000Z')).toBe(true);
    expect(matches('timestamp=gt=2024-05-01T09:30:00Z')).toBe(false);
    expect(matches('timestamp==2024-05-01T09:30:00Z')).toBe(true);
    expect(matches('timestamp=lt=2024-05-01T10:00:00+00:30')).toBe(false);
    expect(matches('timestamp=ge=2024-05-01T09:30:00Z', { timestamp: new Date('2024-05-01T09:30:00Z') })).toBe(true);
  });

  it('right names with spaces, colon, slash and escaped commas', () => {
    expect(matches('name==Group / User: View', { name: 'Group / User: View' })).toBe(true);
    const right = { name: 'Role: Create, Edit, Delete, or Copy' };
    expect(matches('name==Role: Create\\, Edit\\, Delete\\, or Copy', right)).toBe(true);
    expect(matches('name==Role: Create*', right)).toBe(true);
  });
});

describe('matchesFiql: semantics', () => {
  it('wildcards: unescaped * matches any run, escaped * only itself', () => {
    expect(matches('name==ci-*')).toBe(true);
    expect(matches('name==*pipe*')).toBe(true);
    expect(matches('name==*')).toBe(true);
    expect(matches('name!=ci-*')).toBe(false);
    expect(matches('name==ci\\*', { name: 'ci-pipeline' })).toBe(false);
    expect(matches('name==ci\\*', { name: 'ci*' })).toBe(true);
    expect(matches('name==a.c', { name: 'abc' })).toBe(false);
    expect(matches('name==a*c', { name: 'a\nb\nc' })).toBe(true);
  });

  it('regex metacharacters in values are literal', () => {
    for (const name of ['a.b', '(x)|[y]', '^$+?{}', 'a\\b', 'a/b-c']) {
      expect(matches(`name==${name.replace(/[\\()]/g, '\\$&')}*`, { name })).toBe(true);
    }
  });

  it('is case-sensitive unless asked', () => {
    expect(matches('type==proxy')).toBe(false);
    expect(matches('type==proxy', token, { caseInsensitive: true })).toBe(true);
    expect(matches('type==pro*', token, { caseInsensitive: true })).toBe(true);
    expect(matches('type=lt=b', token, { caseInsensitive: true })).toBe(false);
    expect(matches('type=lt=b')).toBe(true);
  });

  it('compares numbers numerically and strings lexicographically', () => {
    expect(matches('size=gt=9')).toBe(true);
    expect(matches('size==10.0')).toBe(true);
    expect(matches('size=lt=1e2')).toBe(true);
    expect(matches('code=gt=9', { code: '10' })).toBe(false);
    expect(matches('size==1*')).toBe(true);
  });

  it('compares booleans as true/false', () => {
    expect(matches('active==true')).toBe(true);
    expect(matches('active!=false')).toBe(true);
    expect(matches('active==1')).toBe(false);
  });

  it('never matches null, missing-in-list, objects or arrays (like SQL NULL)', () => {
    expect(matches('note==*')).toBe(false);
    expect(matches('note!=x')).toBe(false);
    expect(matches('owner==x')).toBe(false);
    expect(matches('tags==a', { tags: ['a'] })).toBe(false);
    expect(matches('note==x,name==ci-pipeline')).toBe(true);
  });

  it('empty value matches the empty string', () => {
    expect(matches('name==', { name: '' })).toBe(true);
    expect(matches('name==', { name: 'x' })).toBe(false);
  });
});

describe('matchesFiql: unknown selectors', () => {
  it('rejects a selector the record does not have, even behind a short circuit', () => {
    expectInvalid(() => matches('colour==red'), "unknown selector 'colour'");
    expectInvalid(() => matches('name==ci-pipeline,colour==red'), "unknown selector 'colour'");
    expectInvalid(() => matches('owner.name.first==a'), "unknown selector 'owner.name.first'");
  });

  it('does not resolve prototype members', () => {
    expectInvalid(() => matches('constructor==x'), "'constructor'");
    expectInvalid(() => matches('name.length==11'), "'name.length'");
  });

  it('with a selector list: rejects unlisted ones and treats listed-but-missing as no match', () => {
    const options = { selectors: ['name', 'owner.name', 'description'] };
    expect(matches('description==x', token, options)).toBe(false);
    expect(matches('name==ci-*', token, options)).toBe(true);
    expectInvalid(() => matches('type==PROXY', token, options), 'allowed selectors are: description, name, owner.name');
  });
});

describe('matchesFiql: properties', () => {
  it('exact match of an escaped value always matches itself, wildcard prefix too', () => {
    const escape = (s: string): string => s.replace(/[\\;,()*]/g, '\\$&');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.nat(), (name, cut) => {
        expect(matches(`name==${escape(name)}`, { name })).toBe(true);
        expect(matches(`name!=${escape(name)}`, { name })).toBe(false);
        const prefix = name.slice(0, cut % (name.length + 1));
        expect(matches(`name==${escape(prefix)}*`, { name })).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('== and != are complementary on present scalar values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean()), fc.string({ maxLength: 5 }), (value, raw) => {
        const escaped = raw.replace(/[\\;,()]/g, '\\$&');
        expect(matches(`v==${escaped}`, { v: value })).toBe(!matches(`v!=${escaped}`, { v: value }));
      }),
      { numRuns: 1000 },
    );
  });
});

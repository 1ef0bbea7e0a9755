import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeLiteralSeparators } from '../../../src/api/cloudapi/literal-separators.ts';
import { parseFiql } from '../../../src/fiql/index.ts';

const REAL_SEPARATOR = /[,;]\(*[A-Za-z0-9_.]+(?:==|!=|=lt=|=le=|=gt=|=ge=)/;

describe('escapeLiteralSeparators (Go SDK name== lookups, spec §6.2)', () => {
  it('keeps a right name with commas as one value', () => {
    expect(parseFiql(escapeLiteralSeparators('name==Role: Create, Edit, Delete, or Copy'))).toEqual({
      kind: 'comparison', selector: 'name', operator: '==', value: 'Role: Create, Edit, Delete, or Copy',
    });
  });

  it('keeps real AND, OR and groups', () => {
    expect(escapeLiteralSeparators('(name==a, b;id==x),name==c)d')).toBe('(name==a\\, b;id==x),name==c\\)d');
    expect(escapeLiteralSeparators('name==a,name==b;rightType==VIEW')).toBe('name==a,name==b;rightType==VIEW');
  });

  it('reads a parenthesised part of a name inside a group as data (Go token lookup)', () => {
    const goFilter = '(name==deploy, prod (eu);owner.name==alice;(type==PROXY,type==REFRESH))';
    const escaped = escapeLiteralSeparators(goFilter);
    expect(escaped).toBe('(name==deploy\\, prod (eu\\);owner.name==alice;(type==PROXY,type==REFRESH))');
    expect(escapeLiteralSeparators(escaped)).toBe(escaped);
    expect(parseFiql(escaped)).toMatchObject({ kind: 'and', children: [{ selector: 'name', value: 'deploy, prod (eu)' }, { selector: 'owner.name', value: 'alice' }, { kind: 'or' }] });
  });

  it('reads any name with balanced parentheses back exactly inside the Go SDK token filter (property)', () => {
    const part = fc.string({ unit: fc.constantFrom('a', 'B', '1', ' ', ',', ';', ':', '/', '=', '_', '.'), maxLength: 12 });
    const name = fc.tuple(part, part, part).map(([a, b, c]) => `${a}(${b})${c}`).filter((s) => !REAL_SEPARATOR.test(s));
    fc.assert(fc.property(name, (s) => {
      const escaped = escapeLiteralSeparators(`(name==${s};owner.name==alice;(type==PROXY,type==REFRESH))`);
      expect(escapeLiteralSeparators(escaped)).toBe(escaped);
      expect(parseFiql(escaped)).toMatchObject({ kind: 'and', children: [{ selector: 'name', value: s }, { selector: 'owner.name', value: 'alice' }, { kind: 'or' }] });
    }));
  });

  it('leaves escaped filters and filters it does not understand unchanged', () => {
    expect(escapeLiteralSeparators('name==a\\,b')).toBe('name==a\\,b');
    expect(escapeLiteralSeparators('not a filter, really')).toBe('not a filter, really');
    expect(escapeLiteralSeparators('name==x;;')).toBe('name==x\\;\\;');
  });

  it('reads any name without wildcards, backslashes or embedded comparisons back exactly (property)', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'B', '1', ' ', ',', ';', '(', ')', ':', '/', '=', '_', '.'), maxLength: 40 })
      .filter((s) => !REAL_SEPARATOR.test(s));
    fc.assert(fc.property(name, (s) => {
      const escaped = escapeLiteralSeparators(`name==${s}`);
      expect(escapeLiteralSeparators(escaped)).toBe(escaped);
      expect(parseFiql(escaped)).toMatchObject({ kind: 'comparison', selector: 'name', value: s });
    }));
  });
});

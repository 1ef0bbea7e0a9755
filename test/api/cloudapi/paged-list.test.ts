import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pagedResult, type PageParams } from '../../../src/api/cloudapi/paged-list.ts';
import type { RequestContext } from '../../../src/api/http/route.ts';

/** The Link targets as `URL` writes them: what pagedResult produced before its string fast path. */
function referenceLinks(reqUrl: string, baseUrl: string, total: number, page: PageParams, model: string): string[] {
  const pageCount = page.pageSize === 0 ? 0 : Math.ceil(total / page.pageSize);
  const links: string[] = [];
  const linkFor = (n: number, rel: string): string => {
    const url = new URL(reqUrl, baseUrl);
    const target = new URL(url.pathname, baseUrl);
    for (const [k, v] of url.searchParams) if (k !== 'page') target.searchParams.append(k, v);
    target.searchParams.set('page', String(n));
    return `<${target.toString()}>;rel="${rel}";type="application/json";model="${model}"`;
  };
  if (page.page < pageCount) links.push(linkFor(page.page + 1, 'nextPage'));
  if (page.page > 1 && page.page <= pageCount + 1) links.push(linkFor(page.page - 1, 'previousPage'));
  if (pageCount > 0) links.push(linkFor(pageCount, 'lastPage'));
  return links;
}

const linksOf = (reqUrl: string, baseUrl: string, total: number, page: PageParams) => {
  const ctx = { req: { url: reqUrl }, baseUrl } as unknown as RequestContext;
  return (pagedResult(ctx, [], total, page, 'Tokens').headers?.link ?? []) as string[];
};

const piece = fc.constantFrom('tokens', '1.0.0', 'cloudapi', 'a b', '%20', '%zz', '.', '..', '.x', '~u', 'é', 'a+b', '', 'A-Z_9', '*', ':', '@', ';');
const path = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const word = fc.constantFrom('page', 'pageSize', 'filter', 'sortAsc', 'x', '', 'a b', 'a+b', '%3D', '%', '=', '*', 'name==bob-*', '2', 'é', '-._');
const pair = fc.oneof(fc.tuple(word, word).map(([k, v]) => `${k}=${v}`), word);
const query = fc.option(fc.array(pair, { maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`), { nil: '' });
const base = fc.constantFrom('http://127.0.0.1:8080', 'https://vcd.example.com', 'https://VCD.Example.com:443', 'http://h:80', 'https://h/prefix', 'https://user@h:8443');

describe('pagedResult Link headers', () => {
  it('name the same targets as URL serialisation for any request path, query and public origin', () => {
    fc.assert(fc.property(path, query, base, fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 128 }),
      (p, q, b, total, pageNo, pageSize) => {
        const page = { page: pageNo, pageSize };
        const outcome = (f: () => string[]) => { try { return f(); } catch { return 'throws'; } };
        expect(outcome(() => linksOf(p + q, b, total, page))).toEqual(outcome(() => referenceLinks(p + q, b, total, page, 'Tokens')));
      }), { numRuns: 5000 });
  });

  it('keep every other parameter in order and put page last', () => {
    expect(linksOf('/cloudapi/1.0.0/tokens?page=1&pageSize=2&filter=name==a', 'https://h', 5, { page: 1, pageSize: 2 })).toEqual([
      '<https://h/cloudapi/1.0.0/tokens?pageSize=2&filter=name%3D%3Da&page=2>;rel="nextPage";type="application/json";model="Tokens"',
      '<https://h/cloudapi/1.0.0/tokens?pageSize=2&filter=name%3D%3Da&page=3>;rel="lastPage";type="application/json";model="Tokens"',
    ]);
    expect(linksOf('/cloudapi/1.0.0/tokens/', 'http://127.0.0.1:8080', 3, { page: 1, pageSize: 25 })).toEqual([
      '<http://127.0.0.1:8080/cloudapi/1.0.0/tokens/?page=1>;rel="lastPage";type="application/json";model="Tokens"',
    ]);
  });

  it('keep only the list\'s own parameters once the other parameters would push the header past 8 KiB', () => {
    const stray = 'x'.repeat(5_000);
    const links = linksOf(`/cloudapi/1.0.0/tokens?q=${stray}&pageSize=2&sortAsc=name&page=2`, 'https://h', 9, { page: 2, pageSize: 2 });
    expect(links).toEqual([
      '<https://h/cloudapi/1.0.0/tokens?pageSize=2&sortAsc=name&page=3>;rel="nextPage";type="application/json";model="Tokens"',
      '<https://h/cloudapi/1.0.0/tokens?pageSize=2&sortAsc=name&page=1>;rel="previousPage";type="application/json";model="Tokens"',
      '<https://h/cloudapi/1.0.0/tokens?pageSize=2&sortAsc=name&page=5>;rel="lastPage";type="application/json";model="Tokens"',
    ]);
    // Just under the budget, nothing is dropped.
    const under = linksOf(`/cloudapi/1.0.0/tokens?q=${'x'.repeat(2_000)}&pageSize=2`, 'https://h', 9, { page: 1, pageSize: 2 });
    expect(under.every((l) => l.includes(`q=${'x'.repeat(2_000)}&`))).toBe(true);
  });

  it('keep only nextPage, the link clients follow, when the list\'s own parameters alone are too long for all three', () => {
    const filter = `name==${'a'.repeat(3_000)}`;
    const links = linksOf(`/cloudapi/1.0.0/tokens?filter=${filter}&pageSize=2&page=2`, 'https://h', 9, { page: 2, pageSize: 2 });
    expect(links).toEqual([`<https://h/cloudapi/1.0.0/tokens?filter=name%3D%3D${'a'.repeat(3_000)}&pageSize=2&page=3>;rel="nextPage";type="application/json";model="Tokens"`]);
  });
});

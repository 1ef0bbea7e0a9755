import { sql, type SelectQueryBuilder } from 'kysely';
import { AppError } from '../../errors/app-error.ts';
import { fiqlToWhere, parseFiql, type FiqlFieldMap } from '../../fiql/index.ts';
import { preparedQuery } from '../../storage/prepared-query.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import type { Services } from '../http/services.ts';

/** CloudAPI paging bounds (spec §5.1): page ≥ 1 (default 1), pageSize 0–128 (default 25). */
export const MAX_PAGE_SIZE = 128;
const DEFAULT_PAGE_SIZE = 25;

function single(v: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(v)) throw new AppError('BAD_REQUEST', { message: `The query parameter ${name} is given more than once.` });
  return v;
}

function intParam(v: string | undefined, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v)) throw new AppError('BAD_REQUEST', { message: `${name} must be a whole number.` });
  const n = Number(v);
  if (n < min || n > max) throw new AppError('BAD_REQUEST', { message: `${name} must be between ${min} and ${max}.` });
  return n;
}

export interface PageParams {
  page: number;
  pageSize: number;
}

export function readPageParams(query: RequestContext['query']): PageParams {
  return {
    page: intParam(single(query.page, 'page'), 'page', 1, 1_000_000_000, 1),
    pageSize: intParam(single(query.pageSize, 'pageSize'), 'pageSize', 0, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
  };
}

/** Characters the URL standard's form serializer leaves as they are (and its parser reads back unchanged). */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+\/?$/;
const PLAIN_PAIR = /^[A-Za-z0-9*._-]+=[A-Za-z0-9*._-]*$/;
let originCache: { baseUrl: string; origin: string | null } | undefined;

/** `scheme://host[:port]` of an http(s) base URL as `URL#href` writes it; null for anything else. */
function originOf(baseUrl: string): string | null {
  if (originCache?.baseUrl !== baseUrl) {
    const u = new URL('/', baseUrl);
    originCache = { baseUrl, origin: u.protocol === 'http:' || u.protocol === 'https:' ? u.href.slice(0, -1) : null };
  }
  return originCache.origin;
}

/**
 * The page links' target without its `page` parameter, as a function of the page number: the
 * request's path and its other query parameters, on the public origin. Requests whose path and
 * query hold only characters URL serialisation leaves alone (every client's list call) are
 * assembled as strings; anything else goes through `URL`, which normalises it (issue 7: two URL
 * parses per link were a visible part of a token list's cost).
 */
function pageLinkTarget(reqUrl: string, baseUrl: string): (page: number) => string {
  const q = reqUrl.indexOf('?');
  const path = q === -1 ? reqUrl : reqUrl.slice(0, q);
  const origin = originOf(baseUrl);
  if (origin !== null && PLAIN_PATH.test(path)) {
    let kept = '';
    let plain = true;
    if (q !== -1) {
      for (const pair of reqUrl.slice(q + 1).split('&')) {
        if (pair === '') continue;
        if (!PLAIN_PAIR.test(pair)) { plain = false; break; }
        if (!pair.startsWith('page=')) kept += `${pair}&`;
      }
    }
    if (plain) return (n) => `${origin}${path}?${kept}page=${n}`;
  }
  const url = new URL(reqUrl, baseUrl);
  return (n) => {
    const target = new URL(url.pathname, baseUrl);
    for (const [k, v] of url.searchParams) if (k !== 'page') target.searchParams.append(k, v);
    target.searchParams.set('page', String(n));
    return target.toString();
  };
}

function pageLink(target: string, rel: string, model: string): string {
  return `<${target}>;rel="${rel}";type="application/json";model="${model}"`;
}

/**
 * Most bytes the Link header may take. Each link repeats the request's query, and a request may
 * carry up to 16 KiB of head (HEADER_LIMIT_BYTES), so three links could reach 48 KiB, while
 * clients refuse response heads above 16 KiB (node's and Go's defaults; hostile-input fuzzing found
 * it). Half of that leaves room for the other headers.
 */
const LINK_HEADER_BUDGET = 8 * 1024;
/** The query parameters that define a list page (spec §6.1); a Link over budget keeps only these. */
const LIST_PARAMETERS = new Set(['pageSize', 'filter', 'sortAsc', 'sortDesc', 'filterEncoded']);

/** The request URL with only the list's own query parameters (others are meaningless to the list). */
function withListParametersOnly(reqUrl: string): string {
  const q = reqUrl.indexOf('?');
  if (q === -1) return reqUrl;
  const kept = reqUrl.slice(q + 1).split('&').filter((pair) => {
    const eq = pair.indexOf('=');
    return LIST_PARAMETERS.has(eq === -1 ? pair : pair.slice(0, eq));
  });
  return `${reqUrl.slice(0, q)}?${kept.join('&')}`;
}

function pageLinks(reqUrl: string, baseUrl: string, page: PageParams, pageCount: number, model: string): string[] {
  const links: string[] = [];
  const target = pageLinkTarget(reqUrl, baseUrl);
  if (page.page < pageCount) links.push(pageLink(target(page.page + 1), 'nextPage', model));
  if (page.page > 1 && page.page <= pageCount + 1) links.push(pageLink(target(page.page - 1), 'previousPage', model));
  links.push(pageLink(target(pageCount), 'lastPage', model));
  return links;
}

const headerBytes = (links: string[]) => links.reduce((n, l) => n + l.length + 2, 0);

/**
 * The paged envelope (spec §6.1): `values` always present; `Link rel="nextPage"` only when another
 * page exists (a nextPage on the last page loops the Go SDK forever). The links keep the request's
 * other query parameters, unless that would pass LINK_HEADER_BUDGET: then they keep only the
 * list's own parameters, and if even that is too long, only nextPage (what clients follow).
 */
export function pagedResult(ctx: RequestContext, values: unknown[], total: number, page: PageParams, model: string): HandlerResult {
  const pageCount = page.pageSize === 0 ? 0 : Math.ceil(total / page.pageSize);
  let links: string[] = [];
  if (pageCount > 0) {
    links = pageLinks(ctx.req.url, ctx.baseUrl, page, pageCount, model);
    if (headerBytes(links) > LINK_HEADER_BUDGET) links = pageLinks(withListParametersOnly(ctx.req.url), ctx.baseUrl, page, pageCount, model);
    if (headerBytes(links) > LINK_HEADER_BUDGET) links = links.filter((l) => l.includes(';rel="nextPage";'));
  }
  return {
    body: { resultTotal: total, pageCount, page: page.page, pageSize: page.pageSize, associations: null, values },
    ...(links.length > 0 ? { headers: { link: links } } : {}),
  };
}

export interface PagedListSpec<O> {
  /** FIQL selectors and sort keys → real SQL columns of the query. */
  fields: FiqlFieldMap;
  /** Column of the default order and the tie-breaker of every order. */
  defaultSort: string;
  model: string;
  toWire: (row: O, ctx: RequestContext) => unknown;
}

/**
 * One page of rows and the total. The page query runs first: a page that comes back short (and
 * is not an empty page past the end) ends the list, so its total is known without the count
 * query, the common case of a list that fits in one page (issue 7).
 */
async function loadPage<O>(page: PageParams, count: () => Promise<number>, rows: (pageSize: number, offset: number) => Promise<O[]>): Promise<{ rows: O[]; total: number }> {
  if (page.pageSize === 0) return { rows: [], total: await count() };
  const offset = (page.page - 1) * page.pageSize;
  const found = await rows(page.pageSize, offset);
  if (found.length < page.pageSize && (found.length > 0 || offset === 0)) return { rows: found, total: offset + found.length };
  return { rows: found, total: await count() };
}

function countQuery<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>) {
  return q.clearSelect().select(sql<number>`count(*)`.as('n')) as unknown as SelectQueryBuilder<DB, TB, { n: number }>;
}

/**
 * The page's rows in order. LIMIT is a literal, never a bound parameter: SQLite (3.50) lets the
 * planner read a bound LIMIT, which marks the statement for a full re-prepare on every execution
 * (measured: 5 rows with `limit ?` took 2–5× as long as with `limit 25`). pageSize is a validated
 * integer 1–128, so at most 128 statement texts per list; the offset stays a parameter.
 */
function pageQuery<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>, sortColumn: string, desc: boolean, defaultSort: string, pageSize: number, offset: unknown) {
  return q
    .orderBy(sql.ref(sortColumn), desc ? 'desc' : 'asc')
    .orderBy(sql.ref(defaultSort), 'asc')
    .limit(sql.lit(pageSize))
    .offset(offset as number);
}

/**
 * Runs a list query with the request's `filter`, `sortAsc`/`sortDesc`, `page` and `pageSize`
 * applied through the shared FIQL module, and renders the paged envelope.
 */
export async function runPagedList<DB, TB extends keyof DB, O>(
  ctx: RequestContext,
  query: SelectQueryBuilder<DB, TB, O>,
  spec: PagedListSpec<O>,
): Promise<HandlerResult> {
  const page = readPageParams(ctx.query);
  const filter = single(ctx.query.filter, 'filter');
  let q = query;
  if (filter !== undefined && filter !== '') {
    q = q.where(fiqlToWhere<DB, TB>(parseFiql(filter), spec.fields, ctx.services.caps.caseInsensitiveLike));
  }
  const sortAsc = single(ctx.query.sortAsc, 'sortAsc');
  const sortDesc = single(ctx.query.sortDesc, 'sortDesc');
  const sortKey = sortAsc ?? sortDesc;
  const sortField = sortKey === undefined ? undefined : spec.fields[sortKey];
  if (sortKey !== undefined && !sortField) {
    throw new AppError('BAD_REQUEST', { message: `Cannot sort by ${sortKey.slice(0, 64)}. Sortable: ${Object.keys(spec.fields).join(', ')}.` });
  }
  const { rows, total } = await loadPage(
    page,
    async () => Number((await countQuery(q).executeTakeFirst())?.n ?? 0),
    (pageSize, offset) => pageQuery(q, sortField?.column ?? spec.defaultSort, sortDesc !== undefined, spec.defaultSort, pageSize, offset).execute(),
  );
  return pagedResult(ctx, rows.map((row) => spec.toWire(row, ctx)), total, page, spec.model);
}

type RowsOf<O> = (...args: readonly unknown[]) => Promise<O[]>;

/**
 * A list endpoint whose query shape is fixed and whose per-request values (`args`: ids of the
 * caller, the org...) are only bound parameters. Without a filter or a sort, the count and page
 * queries are built and compiled once per server and only executed per request (issue 7: building
 * and compiling them cost more than running them); with a filter or a sort it is `runPagedList`.
 * `build` must use each of its `arity` arguments as a bound value (see preparedQuery).
 */
export function preparedPagedList<O>(
  arity: number,
  // Any query shape: `build` owns its tables; only the row type matters here.
  build: (services: Services, ...args: string[]) => SelectQueryBuilder<any, any, O>,
  spec: PagedListSpec<O>,
): (ctx: RequestContext, ...args: string[]) => Promise<HandlerResult> {
  const compiled = new WeakMap<Services, { count: RowsOf<{ n: number }>; pages: Map<number, RowsOf<O>> }>();
  const queriesOf = (services: Services) => {
    let c = compiled.get(services);
    if (!c) {
      c = { count: preparedQuery(services.db, arity, (...p) => countQuery(build(services, ...p))), pages: new Map() };
      compiled.set(services, c);
    }
    return c;
  };
  return async (ctx, ...args) => {
    const { filter, sortAsc, sortDesc } = ctx.query;
    if ((filter !== undefined && filter !== '') || sortAsc !== undefined || sortDesc !== undefined) {
      return runPagedList(ctx, build(ctx.services, ...args), spec);
    }
    const page = readPageParams(ctx.query);
    const queries = queriesOf(ctx.services);
    const { rows, total } = await loadPage(
      page,
      async () => Number((await queries.count(...args))[0]?.n ?? 0),
      (pageSize, offset) => {
        let rowsOf = queries.pages.get(pageSize);
        if (!rowsOf) {
          rowsOf = preparedQuery(ctx.services.db, arity + 1, (...p) => pageQuery(build(ctx.services, ...p.slice(0, arity)), spec.defaultSort, false, spec.defaultSort, pageSize, p[arity]));
          queries.pages.set(pageSize, rowsOf);
        }
        return rowsOf(...args, offset);
      },
    );
    return pagedResult(ctx, rows.map((row) => spec.toWire(row, ctx)), total, page, spec.model);
  };
}

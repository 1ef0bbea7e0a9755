import { sql, type SelectQueryBuilder } from 'kysely';
import { AppError } from '../../errors/app-error.ts';
import { fiqlToWhere, parseFiql, type FiqlFieldMap } from '../../fiql/index.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';

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

/**
 * The paged envelope (spec §6.1): `values` always present; `Link rel="nextPage"` only when another
 * page exists (a nextPage on the last page loops the Go SDK forever).
 */
export function pagedResult(ctx: RequestContext, values: unknown[], total: number, page: PageParams, model: string): HandlerResult {
  const pageCount = page.pageSize === 0 ? 0 : Math.ceil(total / page.pageSize);
  const links: string[] = [];
  const linkFor = (n: number, rel: string): string => {
    const url = new URL(ctx.req.url, ctx.baseUrl);
    const target = new URL(url.pathname, ctx.baseUrl);
    for (const [k, v] of url.searchParams) if (k !== 'page') target.searchParams.append(k, v);
    target.searchParams.set('page', String(n));
    return `<${target.toString()}>;rel="${rel}";type="application/json";model="${model}"`;
  };
  if (page.page < pageCount) links.push(linkFor(page.page + 1, 'nextPage'));
  if (page.page > 1 && page.page <= pageCount + 1) links.push(linkFor(page.page - 1, 'previousPage'));
  if (pageCount > 0) links.push(linkFor(pageCount, 'lastPage'));
  return {
    body: { resultTotal: total, pageCount, page: page.page, pageSize: page.pageSize, associations: null, values },
    ...(links.length > 0 ? { headers: { link: links } } : {}),
  };
}

/**
 * Runs a list query with the request's `filter`, `sortAsc`/`sortDesc`, `page` and `pageSize`
 * applied through the shared FIQL module, and renders the paged envelope.
 */
export async function runPagedList<DB, TB extends keyof DB, O>(
  ctx: RequestContext,
  query: SelectQueryBuilder<DB, TB, O>,
  spec: { fields: FiqlFieldMap; defaultSort: string; model: string; toWire: (row: O) => unknown },
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
  const countRow = await (q.clearSelect().select(sql<number>`count(*)`.as('n')) as unknown as SelectQueryBuilder<DB, TB, { n: number }>).executeTakeFirst();
  const total = Number(countRow?.n ?? 0);
  let rows: O[] = [];
  if (page.pageSize > 0) {
    rows = await q
      .orderBy(sql.ref(sortField?.column ?? spec.defaultSort), sortDesc !== undefined ? 'desc' : 'asc')
      .orderBy(sql.ref(spec.defaultSort), 'asc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
  }
  return pagedResult(ctx, rows.map(spec.toWire), total, page, spec.model);
}

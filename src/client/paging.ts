import type { PagedEnvelope } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { unexpectedAnswer } from './errors.ts';
import type { ApiResponse, QueryParams } from './http.ts';

/** Common list parameters of every CloudAPI collection (spec §5.1, §6.1, §6.2). */
export interface ListQuery {
  /** FIQL filter; build one with fiqlEquals / fiqlAnd. */
  filter?: string;
  sortAsc?: string;
  sortDesc?: string;
  /** 1-based. */
  page?: number;
  /** 0–128; the server default is 25. */
  pageSize?: number;
}

/** One page of a list, plus where the next one is. */
export interface Page<T> extends PagedEnvelope<T> {
  /** Absolute URL of the next page, or null on the last page. */
  nextPageUrl: string | null;
}

/** One `Link` header entry: `<url>;rel="nextPage";type="application/json";model="Tokens"`. */
export interface LinkHeaderEntry {
  url: string;
  rel: string;
  params: Record<string, string>;
}

/**
 * Parses `Link` headers (RFC 8288). Several headers arrive joined with ", " (fetch), so entries
 * are split on `<…>` boundaries rather than on commas (a URL may contain one).
 */
export function parseLinkHeader(value: string | null): LinkHeaderEntry[] {
  if (!value) return [];
  const out: LinkHeaderEntry[] = [];
  const entry = /<([^>]*)>((?:\s*;\s*[^;,=<]+(?:=(?:"[^"]*"|[^;,<]*))?)*)/g;
  for (let m = entry.exec(value); m !== null; m = entry.exec(value)) {
    const params: Record<string, string> = {};
    for (const p of (m[2] ?? '').split(';')) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    out.push({ url: m[1] ?? '', rel: params.rel ?? '', params });
  }
  return out;
}

export function listQueryParams(q: ListQuery = {}): QueryParams {
  return { filter: q.filter, sortAsc: q.sortAsc, sortDesc: q.sortDesc, page: q.page, pageSize: q.pageSize };
}

/**
 * The next page's URL: the `nextPage` link when it points back into this server (never send
 * credentials elsewhere), else — as the Go SDK does (spec §6.1) — page + 1 while page < pageCount.
 */
function nextPageUrl(client: OpenDirectorClient, res: ApiResponse, envelope: PagedEnvelope<unknown>): string | null {
  const link = parseLinkHeader(res.headers.get('link')).find((l) => l.rel === 'nextPage');
  if (link && client.http.isOwnUrl(link.url)) return link.url === res.url ? null : link.url;
  if (envelope.values.length === 0 || envelope.page >= envelope.pageCount) return null;
  const next = new URL(res.url);
  next.searchParams.set('page', String(envelope.page + 1));
  return next.toString();
}

/** Fetches one page of a CloudAPI collection (a path with a query, or a `nextPageUrl`). */
export async function fetchPage<T>(client: OpenDirectorClient, pathOrUrl: string, query: ListQuery = {}): Promise<Page<T>> {
  const res = await client.request('GET', pathOrUrl, { query: listQueryParams(query) });
  const envelope = res.json<PagedEnvelope<T>>();
  if (!envelope || !Array.isArray(envelope.values)) {
    throw unexpectedAnswer(res, 'GET', 'not a paged list (no "values" array)');
  }
  return { ...envelope, nextPageUrl: nextPageUrl(client, res, envelope) };
}

/** Every page of a collection in order, following `Link: …;rel="nextPage"`. */
export async function* iteratePages<T>(client: OpenDirectorClient, path: string, query: ListQuery = {}): AsyncGenerator<Page<T>> {
  let page = await fetchPage<T>(client, path, query);
  yield page;
  const seen = new Set<string>();
  while (page.nextPageUrl && !seen.has(page.nextPageUrl)) {
    seen.add(page.nextPageUrl);
    page = await fetchPage<T>(client, page.nextPageUrl);
    yield page;
  }
}

/**
 * Every item of a collection across all pages.
 *
 * @example
 *   for await (const event of client.auditTrail.iterateAll({ pageSize: 128 })) console.log(event.eventType);
 */
export async function* iterateItems<T>(client: OpenDirectorClient, path: string, query: ListQuery = {}): AsyncGenerator<T> {
  for await (const page of iteratePages<T>(client, path, query)) yield* page.values;
}

/** Collects an async iterator into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

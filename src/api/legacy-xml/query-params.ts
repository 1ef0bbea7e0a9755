import { AppError } from '../../errors/app-error.ts';
import { parseFiql, type FiqlNode } from '../../fiql/index.ts';
import type { RequestContext } from '../http/route.ts';
import type { QueryFormat } from './query-type.ts';

/** D31: pageSize defaults to 25 and may not exceed 128. */
export const QUERY_DEFAULT_PAGE_SIZE = 25;
export const QUERY_MAX_PAGE_SIZE = 128;

/** The query-service parameters of one request (spec §9.3, D31). */
export interface QueryRequest {
  type: string | undefined;
  format: QueryFormat;
  page: number;
  pageSize: number;
  offset: number;
  /** The filter as received (after the one standard URL decoding, spec §1.1). */
  filter: string | undefined;
  /** pyvcloud before API 35 sends `filterEncoded=true` with percent-encoded values (spec §9.3). */
  filterEncoded: boolean;
  sortAsc: string | undefined;
  sortDesc: string | undefined;
  /** Accepted and echoed in links; every attribute is returned regardless [U]. */
  fields: string | undefined;
}

/**
 * Repeated parameters take their first value: scripts in the wild send `type=vm` twice
 * (`query?type=vm&format=records&type=vm&…`) and VCD answers them.
 */
function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function wholeNumber(v: string | undefined, name: string, min: number, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min) throw new AppError('BAD_REQUEST', { message: `${name} must be a whole number of at least ${min}.` });
  return Number(v);
}

const FORMATS: readonly QueryFormat[] = ['records', 'idrecords', 'references'];

/**
 * Reads and checks the parameters. `pageSize` above 128 is clamped to 128 rather than refused, and
 * the response's `pageSize` says so: Go's page loop reads pageSize back from the result, pyvcloud
 * follows links, and scripts ask for pageSize=1000.
 */
export function readQueryRequest(query: RequestContext['query']): QueryRequest {
  const format = first(query.format) ?? 'records';
  if (!FORMATS.includes(format as QueryFormat)) {
    throw new AppError('BAD_REQUEST', { message: `Unknown format ${format.slice(0, 32)}. Use records, idrecords or references.` });
  }
  const sortAsc = first(query.sortAsc) || undefined;
  const sortDesc = first(query.sortDesc) || undefined;
  if (sortAsc && sortDesc) throw new AppError('BAD_REQUEST', { message: 'Give sortAsc or sortDesc, not both.' });
  return {
    type: first(query.type) || undefined,
    format: format as QueryFormat,
    page: wholeNumber(first(query.page), 'page', 1, 1),
    pageSize: Math.min(QUERY_MAX_PAGE_SIZE, wholeNumber(first(query.pageSize), 'pageSize', 1, QUERY_DEFAULT_PAGE_SIZE)),
    offset: wholeNumber(first(query.offset), 'offset', 0, 0),
    filter: first(query.filter) || undefined,
    filterEncoded: first(query.filterEncoded)?.toLowerCase() === 'true',
    sortAsc,
    sortDesc,
    fields: first(query.fields) || undefined,
  };
}

/** Percent-decodes a value leniently: text that is not valid percent-encoding stays as it is. */
function decodeLeniently(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function decodeValues(node: FiqlNode): FiqlNode {
  if (node.kind !== 'comparison') return { kind: node.kind, children: node.children.map(decodeValues) };
  return {
    ...node,
    value: decodeLeniently(node.value),
    ...(node.pattern ? { pattern: node.pattern.map(decodeLeniently) } : {}),
  };
}

/**
 * Parses the filter with the shared FIQL parser. With `filterEncoded=true` the structure is read
 * first and each value is then percent-decoded, so encoded `;`, `,` or `=` inside a value stay
 * part of the value (that is what the flag is for, PY:pyvcloud/vcd/client.py `_build_query_uri`).
 */
export function parseQueryFilter(req: QueryRequest): FiqlNode | undefined {
  if (req.filter === undefined) return undefined;
  const node = parseFiql(req.filter);
  return req.filterEncoded ? decodeValues(node) : node;
}

import { AppError } from '../../errors/app-error.ts';
import { toUrn } from '../../common/ids.ts';
import { orgScopeFor } from '../../inventory/index.ts';
import type { AuthedContext, HandlerResult } from '../http/route.ts';
import type { XmlNode } from '../http/xml.ts';
import type { QueryFormat, RecordRefs, RefKind } from './query-type.ts';
import { findQueryType, QUERY_TYPES } from './query-types.ts';
import { parseQueryFilter, type QueryRequest } from './query-params.ts';
import { MEDIA, hrefs, link, vcloudRootAttributes, xmlResult } from './xml-wire.ts';

/** Result media type per format (spec §1.5). */
export const FORMAT_MEDIA: Readonly<Record<QueryFormat, string>> = {
  records: 'application/vnd.vmware.vcloud.query.records+xml',
  idrecords: 'application/vnd.vmware.vcloud.query.idrecords+xml',
  references: 'application/vnd.vmware.vcloud.query.references+xml',
};
const FORMATS: readonly QueryFormat[] = ['records', 'idrecords', 'references'];

const HREF_OF: Readonly<Record<RefKind, (base: string, id: string) => string>> = {
  org: hrefs.org, vdc: hrefs.vdc, vapp: hrefs.vapp, vm: hrefs.vm, user: hrefs.user,
};

function recordRefs(baseUrl: string, ids: boolean): RecordRefs {
  return { baseUrl, ids, ref: (kind, id) => (ids ? toUrn(kind, id) : HREF_OF[kind](baseUrl, id)) };
}

/**
 * The URL of one page in one format. Parameters keep VCD's order (type, page, pageSize, format)
 * and the request's filter, sort and fields ride along, so pyvcloud, which follows `nextPage`
 * links (spec §9.3), keeps its filter. The filter is re-encoded from the text we received, so
 * the next request decodes to exactly the same filter.
 */
function pageHref(c: AuthedContext, path: string, typeParam: string | undefined, req: QueryRequest, page: number, format: QueryFormat): string {
  const parts: string[] = [];
  if (typeParam !== undefined) parts.push(`type=${encodeURIComponent(typeParam)}`);
  parts.push(`page=${page}`, `pageSize=${req.pageSize}`, `format=${format}`);
  if (req.filter !== undefined) {
    if (req.filterEncoded) parts.push('filterEncoded=true');
    parts.push(`filter=${encodeURIComponent(req.filter)}`);
  }
  if (req.sortAsc) parts.push(`sortAsc=${encodeURIComponent(req.sortAsc)}`);
  if (req.sortDesc) parts.push(`sortDesc=${encodeURIComponent(req.sortDesc)}`);
  if (req.fields) parts.push(`fields=${encodeURIComponent(req.fields)}`);
  if (req.offset > 0) parts.push(`offset=${req.offset}`);
  return `${c.baseUrl}${path}?${parts.join('&')}`;
}

/**
 * Paging links as VCD sends them: `firstPage`/`previousPage` after page 1, `nextPage`/`lastPage`
 * before the last page (never a nextPage on the last page, spec §6.1), then one `alternate` per
 * other format.
 */
function pagingLinks(c: AuthedContext, path: string, typeParam: string | undefined, req: QueryRequest, total: number): XmlNode[] {
  const lastPage = Math.max(1, Math.ceil(total / req.pageSize));
  const type = FORMAT_MEDIA[req.format];
  const at = (page: number, format: QueryFormat = req.format) => pageHref(c, path, typeParam, req, page, format);
  const links: XmlNode[] = [];
  if (req.page > 1) {
    links.push(link('firstPage', at(1), type));
    links.push(link('previousPage', at(Math.min(req.page - 1, lastPage)), type));
  }
  if (req.page < lastPage) {
    links.push(link('nextPage', at(req.page + 1), type));
    links.push(link('lastPage', at(lastPage), type));
  }
  for (const f of FORMATS) if (f !== req.format) links.push(link('alternate', at(req.page, f), FORMAT_MEDIA[f]));
  return links;
}

/**
 * Runs one typed query (spec §9.3) and renders `QueryResultRecords` (records, idrecords) or
 * `<X>References` (references). `total`, `page` and `pageSize` are exact: Go requests page+1
 * until it has collected `total` records. `path` is `/api/query` or a packaged query path
 * (`/api/vms/query`, seed 002), whose links carry no `type` parameter.
 */
export async function runTypedQuery(c: AuthedContext, typeName: string, req: QueryRequest, path: string): Promise<HandlerResult> {
  const type = findQueryType(typeName);
  if (!type) throw new AppError('BAD_REQUEST', { message: `The query type ${typeName.slice(0, 64)} is not supported.` });
  if (type.providerOnly && !c.principal.isProvider) {
    throw new AppError('ACCESS_FORBIDDEN', { message: `The query type ${type.name} is only available to System administrators.` });
  }
  if (!c.principal.rights.has(type.right)) {
    throw new AppError('ACCESS_FORBIDDEN', {
      message: `Either you need some or all of the following rights [${type.right}] to perform operations [query ${type.name}] or the target entity is invalid.`,
    });
  }
  const filter = parseQueryFilter(req);
  const sort = req.sortAsc ? { key: req.sortAsc, desc: false } : req.sortDesc ? { key: req.sortDesc, desc: true } : undefined;
  const { total, items } = await type.run(
    { db: c.services.db, likeOperator: c.services.caps.caseInsensitiveLike },
    orgScopeFor(c.principal, c.org.orgId),
    { filter, sort, offset: req.offset + (req.page - 1) * req.pageSize, limit: req.pageSize },
    req.format,
    recordRefs(c.baseUrl, req.format === 'idrecords'),
  );
  const typeParam = path === '/api/query' ? type.name : undefined;
  const isReferences = req.format === 'references';
  const root = isReferences ? `${type.reference}s` : 'QueryResultRecords';
  return xmlResult(root, {
    ...vcloudRootAttributes(),
    '@_name': type.name,
    '@_page': String(req.page),
    '@_pageSize': String(req.pageSize),
    '@_total': String(total),
    '@_href': pageHref(c, path, typeParam, req, req.page, req.format),
    '@_type': FORMAT_MEDIA[req.format],
    Link: pagingLinks(c, path, typeParam, req, total),
    ...(items.length > 0 ? { [isReferences ? type.reference : type.record]: items } : {}),
  }, FORMAT_MEDIA[req.format], c.version);
}

/**
 * `QueryList` (spec §9.3): one `Link rel="down"` per query type and format, named by the type;
 * pyvcloud finds its query URLs here. Tenants are not offered the provider-only `admin*` types.
 */
export function queryListXml(c: AuthedContext): HandlerResult {
  const links: XmlNode[] = [];
  for (const t of QUERY_TYPES) {
    if (t.providerOnly && !c.principal.isProvider) continue;
    for (const f of FORMATS) {
      links.push(link('down', `${c.baseUrl}/api/query?type=${t.name}&format=${f}`, FORMAT_MEDIA[f], t.name));
    }
  }
  return xmlResult('QueryList', {
    ...vcloudRootAttributes(),
    '@_href': `${c.baseUrl}/api/query`,
    '@_type': MEDIA.queryList,
    Link: links,
  }, MEDIA.queryList, c.version);
}

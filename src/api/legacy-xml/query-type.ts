import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../storage/database.ts';
import { AppError } from '../../errors/app-error.ts';
import { isUuid, toUrn, type UrnType } from '../../common/ids.ts';
import { fiqlToWhere, type FiqlFieldMap, type FiqlNode } from '../../fiql/index.ts';
import type { OrgScope } from '../../inventory/index.ts';
import type { XmlNode } from '../http/xml.ts';

/** The three result formats of the query service (spec §9.3, D31). */
export type QueryFormat = 'records' | 'idrecords' | 'references';

/** Objects a record may point at. */
export type RefKind = 'org' | 'vdc' | 'vapp' | 'vm' | 'user';

/**
 * How a record names other objects: hrefs in the `records` format, URNs in `idrecords` (D31:
 * "idrecords: records with the object references expressed as ids").
 */
export interface RecordRefs {
  readonly baseUrl: string;
  readonly ids: boolean;
  ref(kind: RefKind, id: string): string;
}

/** One page of a query: the (already parsed) filter, sort key, and SQL window. */
export interface QueryPageRequest {
  filter: FiqlNode | undefined;
  sort: { key: string; desc: boolean } | undefined;
  offset: number;
  limit: number;
}

/** Everything one query type declares. `source` yields `select * from (…) as r` rows of type O. */
export interface QueryTypeSpec<DB, TB extends keyof DB, O extends { id: string; name: string }> {
  /** The `type` parameter value (case-sensitive, D31). */
  name: string;
  /** Element of one record in `records`/`idrecords`, e.g. `VMRecord`. */
  record: string;
  /** Element of one entry in `references`, e.g. `VMReference` (root: the plural) [U]. */
  reference: string;
  /** Media type of the object a reference points at. */
  entityType: string;
  urnType: UrnType;
  href(baseUrl: string, id: string): string;
  /** Right needed to run the query (no right → 403, D31). */
  right: string;
  /** `admin*` types: provider sessions only (see query-types.ts). */
  providerOnly: boolean;
  /** FIQL selectors and sort keys, over columns of `r`. */
  fields: FiqlFieldMap;
  /** Sort column when the request names none; `r.id` always breaks ties (stable pages). */
  defaultSort: string;
  source(db: Kysely<Database>, scope: OrgScope): SelectQueryBuilder<DB, TB, O>;
  toRecord(row: O, refs: RecordRefs): XmlNode;
  /** Extra attributes needing one more query for the page (e.g. users' role names), keyed by id. */
  extras?(db: Kysely<Database>, rows: readonly O[]): Promise<Map<string, XmlNode>>;
}

/** A query type with its row type erased: what the registry holds and the service runs. */
export interface QueryType {
  readonly name: string;
  readonly record: string;
  readonly reference: string;
  readonly right: string;
  readonly providerOnly: boolean;
  run(
    deps: { db: Kysely<Database>; likeOperator: 'like' | 'ilike' },
    scope: OrgScope, page: QueryPageRequest, format: QueryFormat, refs: RecordRefs,
  ): Promise<{ total: number; items: XmlNode[] }>;
}

/**
 * Builds a runnable query type: FIQL filter and sort through the shared FIQL module, an exact
 * `count(*)` for `total` (Go loops until it has collected `total` records, spec §9.3), and the
 * page fetched with LIMIT/OFFSET in SQL.
 */
export function defineQueryType<DB, TB extends keyof DB, O extends { id: string; name: string }>(
  spec: QueryTypeSpec<DB, TB, O>,
): QueryType {
  return {
    name: spec.name, record: spec.record, reference: spec.reference, right: spec.right, providerOnly: spec.providerOnly,
    async run(deps, scope, page, format, refs) {
      let q = spec.source(deps.db, scope);
      if (page.filter) q = q.where(fiqlToWhere<DB, TB>(page.filter, spec.fields, deps.likeOperator));
      const sortColumn = page.sort ? sortColumnOf(spec.fields, page.sort.key) : spec.defaultSort;
      const countRow = await (q.clearSelect().select(sql<number>`count(*)`.as('n')) as unknown as SelectQueryBuilder<DB, TB, { n: number }>)
        .executeTakeFirst();
      const total = Number(countRow?.n ?? 0);
      const rows = await q
        .orderBy(sql.ref(sortColumn), page.sort?.desc ? 'desc' : 'asc')
        .orderBy(sql.ref('r.id'), 'asc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      if (format === 'references') {
        return { total, items: rows.map((r) => ({ '@_href': spec.href(refs.baseUrl, r.id), '@_id': toUrn(spec.urnType, r.id), '@_name': r.name, '@_type': spec.entityType })) };
      }
      const extras = spec.extras && rows.length > 0 ? await spec.extras(deps.db, rows) : undefined;
      return { total, items: rows.map((r) => ({ ...spec.toRecord(r, refs), ...extras?.get(r.id) })) };
    },
  };
}

function sortColumnOf(fields: FiqlFieldMap, key: string): string {
  const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (!field) throw new AppError('BAD_REQUEST', { message: `Cannot sort by ${key.slice(0, 64)}. Sortable: ${Object.keys(fields).join(', ')}.` });
  return field.column;
}

/**
 * A filter value naming an object: a bare UUID, a URN (`urn:vcloud:vm:<uuid>`) or an href
 * (`…/api/vApp/vapp-<uuid>`, `…/api/vdc/<uuid>`); clients use all three (pyvcloud filters
 * `container==<vapp uuid>`, scripts paste hrefs). Anything else is compared as given.
 */
export function objectIdOf(value: string): string {
  const tail = value.trim().toLowerCase().split(/[/:]/).pop() ?? '';
  const uuid = tail.replace(/^(vm|vapp)-/, '');
  return isUuid(uuid) ? uuid : value;
}

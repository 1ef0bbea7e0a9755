import type { Vm } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { bareUuid, toUrn } from './ids.ts';
import { unexpectedAnswer } from './errors.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';
import { attributesOf, linkHref, parseXmlDocument } from './xml.ts';

/** One `VMRecord` of the query service (spec §9.3); every attribute is kept in `attributes`. */
export interface VmRecord {
  /** `urn:vcloud:vm:<uuid>` (derived from the href when the record has no id attribute). */
  id: string;
  name: string;
  href: string;
  /** `POWERED_ON`, `POWERED_OFF`, `SUSPENDED`, … */
  status: string;
  /** The vApp the VM belongs to. */
  containerName: string | null;
  attributes: Record<string, string>;
}

/** One page of `GET /api/query?type=vm`. `total` is exact (spec §9.3). */
export interface VmQueryPage {
  total: number;
  page: number;
  pageSize: number;
  records: VmRecord[];
  nextPageUrl: string | null;
}

/** The `Task` the server answers a power action with. */
export interface VmTask {
  id: string | null;
  href: string | null;
  status: string | null;
  operation: string | null;
  attributes: Record<string, string>;
}

function toVmRecord(node: unknown): VmRecord {
  const a = attributesOf(node);
  const href = a.href ?? '';
  return {
    id: a.id ?? `urn:vcloud:vm:${bareUuid(href)}`,
    name: a.name ?? '', href, status: a.status ?? '', containerName: a.containerName ?? null, attributes: a,
  };
}

const VMS = '/cloudapi/1.0.0/vms';

/**
 * Virtual machines: the query service every Cloud Director client uses (`query`, `iterateQuery`;
 * spec §9.3, seed 002), OpenDirector's JSON inventory (`list`, `iterateAll`, `get`), and power.
 */
export class VmsApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /** One page of OpenDirector's JSON VM list (`GET /cloudapi/1.0.0/vms`; not a Cloud Director path). */
  list(q: ListQuery = {}): Promise<Page<Vm>> {
    return fetchPage<Vm>(this.client, VMS, q);
  }

  /** Every VM of the JSON list across all pages. */
  iterateAll(q: ListQuery = {}): AsyncGenerator<Vm> {
    return iterateItems<Vm>(this.client, VMS, q);
  }

  /** One VM of the JSON inventory by URN or UUID. */
  get(id: string): Promise<Vm> {
    return this.client.getJson<Vm>(`${VMS}/${toUrn('vm', bareUuid(id))}`);
  }

  /**
   * One page of VMs the caller can see, from `GET /api/query?type=vm&format=records`.
   * `filter` is FIQL over record attributes, e.g. `status==POWERED_ON`.
   */
  async query(q: ListQuery = {}): Promise<VmQueryPage> {
    return this.fetch('/api/query', { type: 'vm', format: 'records', filter: q.filter, sortAsc: q.sortAsc, sortDesc: q.sortDesc, page: q.page, pageSize: q.pageSize });
  }

  /** Every VM record of the query service, following the records' `Link rel="nextPage"`. */
  async *iterateQuery(q: ListQuery = {}): AsyncGenerator<VmRecord> {
    let page = await this.query(q);
    yield* page.records;
    const seen = new Set<string>();
    while (page.nextPageUrl && !seen.has(page.nextPageUrl) && this.client.http.isOwnUrl(page.nextPageUrl)) {
      seen.add(page.nextPageUrl);
      page = await this.fetch(page.nextPageUrl, {});
      yield* page.records;
    }
  }

  /** Powers a VM on (`POST /api/vApp/vm-<uuid>/power/action/powerOn`). Accepts a URN, UUID, `vm-<uuid>` or href. */
  powerOn(vmId: string): Promise<VmTask> {
    return this.powerAction(vmId, 'powerOn');
  }

  /** Powers a VM off (`POST /api/vApp/vm-<uuid>/power/action/powerOff`). */
  powerOff(vmId: string): Promise<VmTask> {
    return this.powerAction(vmId, 'powerOff');
  }

  private async powerAction(vmId: string, action: 'powerOn' | 'powerOff'): Promise<VmTask> {
    const res = await this.client.request('POST', `/api/vApp/vm-${bareUuid(vmId)}/power/action/${action}`);
    if (res.text.trim() === '') return { id: null, href: null, status: null, operation: action, attributes: {} };
    const task = parseXmlDocument(res.text).Task;
    const a = attributesOf(task);
    return { id: a.id ?? null, href: a.href ?? null, status: a.status ?? null, operation: a.operationName ?? a.operation ?? null, attributes: a };
  }

  private async fetch(pathOrUrl: string, query: Record<string, string | number | undefined>): Promise<VmQueryPage> {
    const res = await this.client.request('GET', pathOrUrl, { query });
    let root: unknown;
    try {
      root = parseXmlDocument(res.text).QueryResultRecords;
    } catch {
      root = undefined;
    }
    if (typeof root !== 'object' || root === null) throw unexpectedAnswer(res, 'GET', 'no QueryResultRecords');
    const a = attributesOf(root);
    const records = (root as Record<string, unknown>).VMRecord;
    return {
      total: Number(a.total ?? 0), page: Number(a.page ?? 1), pageSize: Number(a.pageSize ?? 0),
      records: Array.isArray(records) ? records.map(toVmRecord) : [],
      nextPageUrl: linkHref(root, 'nextPage'),
    };
  }
}

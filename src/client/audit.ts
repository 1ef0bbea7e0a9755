import type { AuditEvent } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { fiqlAnd, fiqlCompare, fiqlEquals } from './filter.ts';
import { bareUuid, toUrn } from './ids.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';

const AUDIT = '/cloudapi/1.0.0/auditTrail';

/** Audit trail parameters: the list query plus filter helpers, all ANDed together. */
export interface AuditQuery extends ListQuery {
  /** Only events strictly after this instant (`timestamp=gt=`, spec §10.1). */
  after?: Date | string;
  /** Only events strictly before this instant. */
  before?: Date | string;
  /** Exact event type, e.g. `com/vmware/cloud/event/token/revoke`. */
  eventType?: string;
  /** `SUCCESS` or `FAILURE`. */
  eventStatus?: string;
  /** Exact user name of the actor. */
  user?: string;
  /** Events caused through one API token (URN or UUID; OpenDirector's `tokenId` selector). */
  tokenId?: string;
}

function auditFilter(q: AuditQuery): ListQuery {
  const { after, before, eventType, eventStatus, user, tokenId, filter, ...rest } = q;
  const combined = fiqlAnd(
    filter,
    after !== undefined && fiqlCompare('timestamp', '=gt=', after),
    before !== undefined && fiqlCompare('timestamp', '=lt=', before),
    eventType !== undefined && fiqlEquals('eventType', eventType),
    eventStatus !== undefined && fiqlEquals('eventStatus', eventStatus),
    user !== undefined && fiqlEquals('user.name', user),
    tokenId !== undefined && fiqlEquals('tokenId', bareUuid(tokenId)),
  );
  return combined === undefined ? rest : { ...rest, filter: combined };
}

/** The audit trail (spec §10): a tenant sees its org's events, the provider every org's. */
export class AuditTrailApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /** One page of events. */
  list(q: AuditQuery = {}): Promise<Page<AuditEvent>> {
    return fetchPage<AuditEvent>(this.client, AUDIT, auditFilter(q));
  }

  /**
   * Every matching event, following `Link: …;rel="nextPage"` until the last page.
   *
   * @example
   *   for await (const e of client.auditTrail.iterateAll({ after: new Date(Date.now() - 3600_000), sortDesc: 'timestamp' })) {
   *     console.log(e.timestamp, e.eventType, e.user?.name);
   *   }
   */
  iterateAll(q: AuditQuery = {}): AsyncGenerator<AuditEvent> {
    return iterateItems<AuditEvent>(this.client, AUDIT, auditFilter(q));
  }

  /** One event by URN or UUID. */
  get(id: string): Promise<AuditEvent> {
    return this.client.getJson<AuditEvent>(`${AUDIT}/${toUrn('audit', id)}`);
  }
}

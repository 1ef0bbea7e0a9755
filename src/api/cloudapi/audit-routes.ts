import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn, type UrnType } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import type { AuditEventRow } from '../../storage/database.ts';
import { authed, defineRoutes } from '../http/route.ts';
import { runPagedList } from './paged-list.ts';

const urn = (type: 'user' | 'org' | 'audit') => (v: string) => uuidFromUrn(v, type) ?? v;

/**
 * Selectors of the audit trail filter (spec §10.1). `tokenId` is our extra selector for
 * "everything API token X did" (the UUID in additionalProperties.currentContext.refreshTokenId).
 */
const AUDIT_FIELDS: FiqlFieldMap = {
  eventId: { column: 'a.id', map: urn('audit') },
  timestamp: { column: 'a.timestamp', type: 'timestamp' },
  eventType: { column: 'a.event_type' },
  eventStatus: { column: 'a.event_status' },
  'user.name': { column: 'a.user_name' },
  'user.id': { column: 'a.user_id', map: urn('user') },
  'operatingOrg.name': { column: 'a.org_name' },
  'operatingOrg.id': { column: 'a.org_id', map: urn('org') },
  'eventEntity.name': { column: 'a.entity_name' },
  'eventEntity.id': { column: 'a.entity_id', map: (v) => v.split(':').pop() ?? v },
  tokenId: { column: 'a.api_token_id', map: (v) => v.split(':').pop() ?? v },
  'additionalProperties.currentContext.refreshTokenId': { column: 'a.api_token_id' },
};

/**
 * Entity types the services record whose ids are URNs on the wire (spec §1.2: every entity id is
 * `urn:vcloud:<type>:<uuid>`, and `eventEntity` is a {name,id} reference like any other, §10.2).
 * Anything else (a signing key's `kid`) has no URN form and is shown as stored.
 */
const URN_ENTITY_TYPES: ReadonlySet<string> = new Set<UrnType>([
  'org', 'user', 'group', 'role', 'globalRole', 'rightsBundle', 'token', 'session', 'vdc', 'vapp', 'vm', 'serviceAccount',
]);

/** AuditTrailEvent (spec §10.2). */
export function auditEventWire(e: AuditEventRow) {
  const entityType = e.entity_type !== null && URN_ENTITY_TYPES.has(e.entity_type) ? e.entity_type as UrnType : null;
  const additionalProperties = JSON.parse(e.additional_properties) as Record<string, string>;
  // A service account acting (issue 16) is named as itself, not as a user.
  const actorType: UrnType = e.user_id !== null && additionalProperties['currentContext.serviceAccountId'] === e.user_id ? 'serviceAccount' : 'user';
  return {
    eventId: toUrn('audit', e.id),
    description: e.description,
    operatingOrg: { name: e.org_name, id: toUrn('org', e.org_id) },
    user: e.user_id ? { name: e.user_name ?? '', id: toUrn(actorType, e.user_id) } : null,
    actor: e.user_id ? { name: e.user_name ?? '', id: toUrn(actorType, e.user_id) } : null,
    eventEntity: e.entity_id ? { name: e.entity_name ?? '', id: entityType ? toUrn(entityType, e.entity_id) : e.entity_id } : null,
    taskId: null,
    taskCellId: null,
    cellId: null,
    eventType: e.event_type,
    serviceNamespace: 'com.vmware.cloud',
    eventStatus: e.event_status,
    timestamp: e.timestamp,
    external: false,
    additionalProperties,
  };
}

/**
 * `GET /cloudapi/1.0.0/auditTrail/` (spec §10). A tenant sees its own org's events; the provider
 * sees every org's (or one tenant's with the tenant-context header).
 */
export const auditRoutes = defineRoutes([
  {
    id: 'auditTrail.list', method: 'GET', path: '/cloudapi/1.0.0/auditTrail', family: 'cloudapi', auth: 'session', right: RIGHTS.auditView,
    handler: (ctx) => {
      const c = authed(ctx);
      let q = c.services.db.selectFrom('audit_events as a').selectAll('a');
      const providerWide = c.principal.isProvider && c.org.orgId === c.principal.orgId;
      if (!providerWide) q = q.where('a.org_id', '=', c.org.orgId);
      return runPagedList(c, q, { fields: AUDIT_FIELDS, defaultSort: 'a.seq', model: 'AuditTrailEvents', toWire: auditEventWire });
    },
  },
  {
    id: 'auditTrail.get', method: 'GET', path: '/cloudapi/1.0.0/auditTrail/:id', family: 'cloudapi', auth: 'session', right: RIGHTS.auditView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const id = uuidFromUrn(c.params.id ?? '', 'audit');
      const row = id ? await c.services.db.selectFrom('audit_events').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
      if (!row || (!(c.principal.isProvider && c.org.orgId === c.principal.orgId) && row.org_id !== c.org.orgId)) throw new AppError('ACCESS_FORBIDDEN');
      return { body: auditEventWire(row) };
    },
  },
]);

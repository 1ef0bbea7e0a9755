import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import type { ServiceAccountView } from '../../service-accounts/index.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import { runPagedList } from './paged-list.ts';
import { withLiteralSeparators } from './literal-separators.ts';

const P = '/cloudapi/1.0.0/serviceAccounts';
/** Cloud Director caps this list's page size at 32; the Go SDK asks for exactly that (spec §5.6). */
const MAX_SERVICE_ACCOUNT_PAGE_SIZE = 32;

const urnMapper = (type: 'serviceAccount' | 'role' | 'org') => (v: string) => uuidFromUrn(v, type) ?? v;

/** Selectors of the list's filter (spec §5.7 step 2 uses `name==<name>`). */
const SERVICE_ACCOUNT_FIELDS: FiqlFieldMap = {
  id: { column: 'x.id', map: urnMapper('serviceAccount') },
  name: { column: 'x.name' },
  softwareId: { column: 'x.softwareId' },
  softwareVersion: { column: 'x.softwareVersion' },
  uri: { column: 'x.clientUri' },
  status: { column: 'x.status' },
  'role.name': { column: 'x.roleName' },
  'role.id': { column: 'x.roleId', map: urnMapper('role') },
  'org.name': { column: 'x.orgName' },
  'org.id': { column: 'x.orgId', map: urnMapper('org') },
};

/**
 * ServiceAccount (spec §5.6, Go `types.ServiceAccount`): `role.id` is the real role URN although
 * creation named the role by name; under the limited view (10.4.1) `softwareId`,
 * `softwareVersion`, `uri` and `status` read as null.
 */
export function serviceAccountWire(sa: ServiceAccountView, limited = false) {
  return {
    id: toUrn('serviceAccount', sa.id),
    name: sa.name,
    softwareId: limited ? null : sa.softwareId,
    softwareVersion: limited ? null : sa.softwareVersion,
    role: { name: sa.roleName ?? '', id: toUrn('role', sa.roleId) },
    uri: limited ? null : sa.clientUri,
    org: { name: sa.orgName, id: toUrn('org', sa.orgId) },
    status: limited ? null : sa.status,
  };
}

function idParam(c: AuthedContext): string {
  // Spec §5.3: a malformed, unknown or invisible id is 403, never 404.
  const id = uuidFromUrn(c.params.id ?? '', 'serviceAccount');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

function userCodeOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('VALIDATION_FAILED', { message: 'Send {"userCode":"XXXX-XXXX"}.' });
  return (body as { userCode?: unknown }).userCode;
}

/** A page size above 32 is served as 32 (Cloud Director's cap here); the envelope says so. */
function withCappedPageSize(c: AuthedContext): AuthedContext {
  const size = c.query.pageSize;
  if (typeof size === 'string' && /^\d{1,9}$/.test(size) && Number(size) > MAX_SERVICE_ACCOUNT_PAGE_SIZE) {
    return { ...c, query: { ...c.query, pageSize: String(MAX_SERVICE_ACCOUNT_PAGE_SIZE) } };
  }
  return c;
}

/**
 * `/cloudapi/1.0.0/serviceAccounts` and `/cloudapi/1.0.0/deviceLookup` (spec §4.6, §5.6, §5.7).
 * Reading needs one of the three service-account rights; changing needs Service Accounts:
 * Manage, within the operating org (the provider: every org, or one tenant by tenant context).
 * A session made from an API token or a service account changes nothing here (spec §8.2).
 */
export const serviceAccountsRoutes = defineRoutes([
  {
    id: 'serviceAccounts.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = withCappedPageSize(withLiteralSeparators(authed(ctx)));
      const accounts = c.services.serviceAccounts.accounts;
      if (!accounts.canView(c.principal)) {
        throw new AppError('ACCESS_FORBIDDEN', { message: `Either you need some or all of the following rights [${RIGHTS.serviceAccountsView}] to perform operations [serviceAccounts.list] or the target entity is invalid.` });
      }
      const scope = accounts.listScope(c.principal, c.org.orgId);
      const base = scope.allOrgs ? accounts.baseQuery() : accounts.baseQuery().where('sa.org_id', '=', scope.orgId);
      const limited = accounts.isLimitedView(c.principal);
      const q = c.services.db.selectFrom(base.as('x')).selectAll('x');
      return runPagedList(c, q, {
        fields: SERVICE_ACCOUNT_FIELDS, defaultSort: 'x.id', model: 'ServiceAccounts',
        toWire: (row) => serviceAccountWire(row as ServiceAccountView, limited),
      });
    },
  },
  {
    id: 'serviceAccounts.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      const accounts = c.services.serviceAccounts.accounts;
      return { body: serviceAccountWire(await accounts.findVisible(c.principal, c.org.orgId, idParam(c)), accounts.isLimitedView(c.principal)) };
    },
  },
  {
    id: 'serviceAccounts.update', method: 'PUT', path: `${P}/:id`, family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      if (typeof c.body !== 'object' || c.body === null || Array.isArray(c.body)) throw new AppError('VALIDATION_FAILED', { message: 'Send the service account as a JSON object.' });
      return { body: serviceAccountWire(await c.services.serviceAccounts.accounts.update(c.principal, c.org.orgId, idParam(c), c.body, c.clientIp)) };
    },
  },
  {
    // Spec §5.7 step 8: Go accepts 200/201/204; the object (status CREATED) is the more useful answer.
    id: 'serviceAccounts.revoke', method: 'POST', path: `${P}/:id/revoke`, family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: serviceAccountWire(await c.services.serviceAccounts.accounts.revoke(c.principal, c.org.orgId, idParam(c), c.clientIp)) };
    },
  },
  {
    id: 'serviceAccounts.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      await c.services.serviceAccounts.accounts.delete(c.principal, c.org.orgId, idParam(c), c.clientIp);
      return { status: 204 };
    },
  },
  {
    // Documented by VMware (spec §4.6): 303 to the service account waiting for this user code.
    id: 'deviceLookup.lookup', method: 'POST', path: '/cloudapi/1.0.0/deviceLookup', family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      const sa = await c.services.serviceAccounts.devices.lookup(c.principal, c.org.orgId, userCodeOf(c.body));
      return { status: 303, body: serviceAccountWire(sa), headers: { location: `${c.baseUrl}${P}/${toUrn('serviceAccount', sa.id)}` } };
    },
  },
  {
    id: 'deviceLookup.grant', method: 'POST', path: '/cloudapi/1.0.0/deviceLookup/grant', family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: serviceAccountWire(await c.services.serviceAccounts.devices.grant(c.principal, c.org.orgId, userCodeOf(c.body), c.clientIp)) };
    },
  },
  {
    id: 'deviceLookup.deny', method: 'POST', path: '/cloudapi/1.0.0/deviceLookup/deny', family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: serviceAccountWire(await c.services.serviceAccounts.devices.deny(c.principal, c.org.orgId, userCodeOf(c.body), c.clientIp)) };
    },
  },
]);

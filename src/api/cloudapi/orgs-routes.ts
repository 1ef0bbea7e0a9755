import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS, SYSTEM_ORG_NAME } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import { countTenantOrgs, loadOrgSummary, orgSummaryQuery } from '../../tenancy/org-queries.ts';
import { createOrg, deleteOrg, updateOrg } from '../../tenancy/org-service.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import { actingOf, scopeOf } from '../http/org-scope.ts';
import { validateBody } from '../http/validate-body.ts';
import { runPagedList } from './paged-list.ts';
import { orgWire } from './org-wire.ts';

const P = '/cloudapi/1.0.0/orgs';

const ORG_FIELDS: FiqlFieldMap = {
  id: { column: 'o.id', map: (v) => uuidFromUrn(v, 'org') ?? v },
  name: { column: 'o.name', caseInsensitive: true },
  displayName: { column: 'o.display_name' },
  description: { column: 'o.description' },
  isEnabled: { column: 'o.is_enabled', type: 'boolean' },
};

const text = z.string().nullish().transform((v) => v ?? undefined);
const flag = z.boolean().nullish().transform((v) => v ?? undefined);
/** Body of POST and PUT; read-only fields (counts, managedBy, id) are ignored. */
const orgBody = z.object({ name: text, displayName: text, description: text, isEnabled: flag, requireMfa: flag });

async function systemInfo(c: AuthedContext): Promise<{ id: string; tenantCount: number }> {
  const sys = await c.services.db.selectFrom('orgs').select('id').where('name', '=', SYSTEM_ORG_NAME).executeTakeFirstOrThrow();
  return { id: sys.id, tenantCount: await countTenantOrgs(c.services.db, SYSTEM_ORG_NAME) };
}

function orgIdParam(c: AuthedContext): string {
  const id = uuidFromUrn(c.params.id ?? '', 'org');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

async function orgFor(c: AuthedContext, id: string) {
  return orgWire(await loadOrgSummary(c.services.db, id), await systemInfo(c));
}

async function orgRowFor(c: AuthedContext) {
  const row = await c.services.db.selectFrom('orgs').selectAll().where('id', '=', orgIdParam(c)).executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

/**
 * `/cloudapi/1.0.0/orgs/` (spec §7.6). Tenants see only their own org; a provider in its System
 * context sees every org, with a tenant-context header only that tenant. Creating, editing and
 * deleting orgs is provider-only (`Organization: Edit Properties` is a provider right).
 */
export const orgsRoutes = defineRoutes([
  {
    id: 'orgs.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.orgView,
    handler: async (ctx) => {
      const c = authed(ctx);
      let q = orgSummaryQuery(c.services.db);
      if (!scopeOf(c).anyOrg) q = q.where('o.id', '=', c.org.orgId);
      const system = await systemInfo(c);
      return runPagedList(c, q, {
        fields: ORG_FIELDS, defaultSort: 'o.name', model: 'Orgs', toWire: (row) => orgWire(row, system),
      });
    },
  },
  {
    id: 'orgs.create', method: 'POST', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.orgManage, providerOnly: true, bodySchema: orgBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const b = validateBody(orgBody, c.body);
      if (!b.name) throw new AppError('VALIDATION_FAILED', { message: 'name is required.' });
      const id = await createOrg({ db: c.services.db, clock: c.services.clock }, actingOf(c), {
        name: b.name, displayName: b.displayName ?? b.name, description: b.description ?? '',
        isEnabled: b.isEnabled ?? true, requireMfa: b.requireMfa ?? false,
      });
      return { status: 201, body: await orgFor(c, id) };
    },
  },
  {
    id: 'orgs.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.orgView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const id = orgIdParam(c);
      if (!scopeOf(c).anyOrg && id !== c.org.orgId) throw new AppError('ACCESS_FORBIDDEN');
      return { body: await orgFor(c, id) };
    },
  },
  {
    id: 'orgs.update', method: 'PUT', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.orgManage, providerOnly: true, bodySchema: orgBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const org = await orgRowFor(c);
      await updateOrg({ db: c.services.db, clock: c.services.clock }, actingOf(c), org, validateBody(orgBody, c.body));
      return { body: await orgFor(c, org.id) };
    },
  },
  {
    id: 'orgs.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.orgManage, providerOnly: true,
    handler: async (ctx) => {
      const c = authed(ctx);
      await deleteOrg({ db: c.services.db, clock: c.services.clock }, actingOf(c), await orgRowFor(c));
      return { status: 204 };
    },
  },
]);

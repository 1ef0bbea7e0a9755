import { toUrn } from '../../common/ids.ts';
import { readRbacObjectInput, readRefValues } from '../../rbac/rbac-input.ts';
import type { PublishableKind, PublishableRow } from '../../rbac/publishable-kinds.ts';
import {
  changePublishableRights, createPublishable, deletePublishable, findPublishable, publishableRightsQuery, publishablesQuery, updatePublishable,
} from '../../rbac/publishable-service.ts';
import { changeTenants, setPublishAll, tenantsQuery } from '../../rbac/publication-service.ts';
import { authed, defineRoutes, type AuthedContext, type RequestContext, type RouteSpec } from '../http/route.ts';
import { runPagedList } from './paged-list.ts';
import { withLiteralSeparators } from './literal-separators.ts';
import { idParam, publishableFields, publishableWire, rbacActor, rbacDeps, refFields, refWire, wholeListResult } from './rbac-wire.ts';

/** What differs between `/globalRoles` and `/rightsBundles`. */
export interface PublishableRouteOptions {
  kind: PublishableKind;
  /** Collection path, without trailing slash (routed with and without it). */
  path: string;
  /** Route id prefix, e.g. `globalRoles`. */
  idPrefix: string;
  /** Link header model of the collection. */
  model: string;
  viewRight: string;
  manageRight: string;
}

/**
 * The routes of one provider-only kind (spec §7.4): CRUD, `/rights` and `/tenants…`. Reads need
 * the view right, writes the manage right, both named on the route so the token-session policy
 * applies: a session made from an API token keeps the view rights and gets the token-session
 * denial on writes (spec §8.2). Tenants get 403 on every route: the Go SDK refuses these calls
 * unless the session is a system administrator (`G:govcd/global_role.go`), and tenants see the
 * effect through `/roles` and `/rights` instead.
 */
export function publishableRoutes(o: PublishableRouteOptions): RouteSpec[] {
  const { kind, path: P } = o;
  const view = { family: 'cloudapi', auth: 'session', providerOnly: true, right: o.viewRight } as const satisfies Partial<RouteSpec>;
  const manage = { family: 'cloudapi', auth: 'session', providerOnly: true, right: o.manageRight } as const satisfies Partial<RouteSpec>;
  const wire = (row: PublishableRow) => publishableWire(kind, row);
  const id = (c: AuthedContext) => idParam(c, kind.urnType);
  const rightsOf = async (c: AuthedContext, ownerId: string) =>
    (await publishableRightsQuery(c.services.db, kind, ownerId).orderBy('x.name').execute()).map(refWire('right'));
  const tenantsOf = async (c: AuthedContext, row: PublishableRow) =>
    (await tenantsQuery(c.services.db, kind, row).orderBy('t.name').execute()).map(refWire('org'));
  const rightsWrite = (mode: 'add' | 'replace') => async (ctx: RequestContext) => {
    const c = authed(ctx);
    const row = await changePublishableRights(rbacDeps(c), rbacActor(c), kind, id(c), readRefValues(c.body, 'right'), mode);
    return wholeListResult(await rightsOf(c, row.id));
  };
  const tenantsWrite = (mode: 'publish' | 'unpublish' | 'replace') => async (ctx: RequestContext) => {
    const c = authed(ctx);
    const row = await changeTenants(rbacDeps(c), rbacActor(c), kind, id(c), readRefValues(c.body, 'org'), mode);
    return wholeListResult(await tenantsOf(c, row));
  };
  // publishAll / unpublishAll: the Go SDK posts an empty OpenApiPages object, not `{}`; the body is ignored.
  const publishAllWrite = (all: boolean) => async (ctx: RequestContext) => {
    const c = authed(ctx);
    const row = await setPublishAll(rbacDeps(c), rbacActor(c), kind, id(c), all);
    return wholeListResult(await tenantsOf(c, row));
  };
  return defineRoutes([
    {
      id: `${o.idPrefix}.list`, method: 'GET', path: P, ...view,
      handler: async (ctx) => {
        const c = withLiteralSeparators(authed(ctx));
        return runPagedList(c, publishablesQuery(c.services.db, kind), { fields: publishableFields(kind), defaultSort: 'o.name', model: o.model, toWire: wire });
      },
    },
    {
      id: `${o.idPrefix}.create`, method: 'POST', path: P, ...manage,
      handler: async (ctx) => {
        const c = authed(ctx);
        return { status: 201, body: wire(await createPublishable(rbacDeps(c), rbacActor(c), kind, readRbacObjectInput(c.body))) };
      },
    },
    {
      id: `${o.idPrefix}.get`, method: 'GET', path: `${P}/:id`, ...view,
      handler: async (ctx) => {
        const c = authed(ctx);
        return { body: wire(await findPublishable(c.services.db, kind, id(c))) };
      },
    },
    {
      id: `${o.idPrefix}.update`, method: 'PUT', path: `${P}/:id`, ...manage,
      handler: async (ctx) => {
        const c = authed(ctx);
        const uuid = id(c);
        return { body: wire(await updatePublishable(rbacDeps(c), rbacActor(c), kind, uuid, readRbacObjectInput(c.body, toUrn(kind.urnType, uuid)))) };
      },
    },
    {
      id: `${o.idPrefix}.delete`, method: 'DELETE', path: `${P}/:id`, ...manage,
      handler: async (ctx) => {
        const c = authed(ctx);
        await deletePublishable(rbacDeps(c), rbacActor(c), kind, id(c));
        return { status: 204 };
      },
    },
    {
      id: `${o.idPrefix}.rights.list`, method: 'GET', path: `${P}/:id/rights`, ...view,
      handler: async (ctx) => {
        const c = withLiteralSeparators(authed(ctx));
        const row = await findPublishable(c.services.db, kind, id(c));
        return runPagedList(c, publishableRightsQuery(c.services.db, kind, row.id), { fields: refFields('x', 'right'), defaultSort: 'x.name', model: 'EntityReferences', toWire: refWire('right') });
      },
    },
    { id: `${o.idPrefix}.rights.add`, method: 'POST', path: `${P}/:id/rights`, ...manage, handler: rightsWrite('add') },
    { id: `${o.idPrefix}.rights.replace`, method: 'PUT', path: `${P}/:id/rights`, ...manage, handler: rightsWrite('replace') },
    {
      id: `${o.idPrefix}.tenants.list`, method: 'GET', path: `${P}/:id/tenants`, ...view,
      handler: async (ctx) => {
        const c = withLiteralSeparators(authed(ctx));
        const row = await findPublishable(c.services.db, kind, id(c));
        return runPagedList(c, tenantsQuery(c.services.db, kind, row), { fields: refFields('t', 'org'), defaultSort: 't.name', model: 'EntityReferences', toWire: refWire('org') });
      },
    },
    { id: `${o.idPrefix}.tenants.replace`, method: 'PUT', path: `${P}/:id/tenants`, ...manage, handler: tenantsWrite('replace') },
    { id: `${o.idPrefix}.tenants.publish`, method: 'POST', path: `${P}/:id/tenants/publish`, ...manage, handler: tenantsWrite('publish') },
    { id: `${o.idPrefix}.tenants.unpublish`, method: 'POST', path: `${P}/:id/tenants/unpublish`, ...manage, handler: tenantsWrite('unpublish') },
    { id: `${o.idPrefix}.tenants.publishAll`, method: 'POST', path: `${P}/:id/tenants/publishAll`, ...manage, handler: publishAllWrite(true) },
    { id: `${o.idPrefix}.tenants.unpublishAll`, method: 'POST', path: `${P}/:id/tenants/unpublishAll`, ...manage, handler: publishAllWrite(false) },
  ]);
}

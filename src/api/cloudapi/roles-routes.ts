import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { toUrn } from '../../common/ids.ts';
import { readRbacObjectInput, readRefValues } from '../../rbac/rbac-input.ts';
import { rightsScopeOf } from '../../rbac/rights-query.ts';
import {
  changeRoleRights, createRole, deleteRole, findRole, roleRightsQuery, rolesQuery, updateRole,
} from '../../rbac/role-service.ts';
import { authed, defineRoutes, type AuthedContext, type RouteSpec } from '../http/route.ts';
import { runPagedList } from './paged-list.ts';
import { withLiteralSeparators } from './literal-separators.ts';
import { idParam, rbacActor, rbacDeps, refFields, refWire, ROLE_FIELDS, roleWire, wholeListResult } from './rbac-wire.ts';

const P = '/cloudapi/1.0.0/roles';

/**
 * Roles of the request's org (spec §7.3): the caller's own, or the tenant a provider names with
 * the tenant-context header (`G:govcd/roles.go` sends it). Writes carry `right:` so that a session
 * made from an API token, which loses `Role: Create, Edit, Delete, or Copy`, gets the token-session
 * denial (spec §8.2) while keeping `Role: View`.
 */
const view = { family: 'cloudapi', auth: 'session', right: RIGHTS.roleView } as const satisfies Partial<RouteSpec>;
const manage = { family: 'cloudapi', auth: 'session', right: RIGHTS.roleManage } as const satisfies Partial<RouteSpec>;

async function rightsOfRole(c: AuthedContext, roleId: string) {
  const role = await findRole(c.services.db, c.org.orgId, roleId);
  return (await roleRightsQuery(c.services.db, role).orderBy('x.name').execute()).map(refWire('right'));
}

export const rolesRoutes = defineRoutes([
  {
    id: 'roles.list', method: 'GET', path: P, ...view,
    handler: async (ctx) => {
      const c = withLiteralSeparators(authed(ctx));
      return runPagedList(c, rolesQuery(c.services.db, c.org.orgId), { fields: ROLE_FIELDS, defaultSort: 'ro.name', model: 'Roles', toWire: roleWire });
    },
  },
  {
    // 201 with the object, as VCD answers a create (spec §6.1 allows 200/201; Go accepts both).
    id: 'roles.create', method: 'POST', path: P, ...manage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const role = await createRole(rbacDeps(c), rbacActor(c), c.org.orgId, readRbacObjectInput(c.body));
      return { status: 201, body: roleWire(role) };
    },
  },
  {
    id: 'roles.get', method: 'GET', path: `${P}/:id`, ...view,
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: roleWire(await findRole(c.services.db, c.org.orgId, idParam(c, 'role'))) };
    },
  },
  {
    id: 'roles.update', method: 'PUT', path: `${P}/:id`, ...manage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const id = idParam(c, 'role');
      const role = await updateRole(rbacDeps(c), rbacActor(c), c.org.orgId, id, readRbacObjectInput(c.body, toUrn('role', id)));
      return { body: roleWire(role) };
    },
  },
  {
    id: 'roles.delete', method: 'DELETE', path: `${P}/:id`, ...manage,
    handler: async (ctx) => {
      const c = authed(ctx);
      await deleteRole(rbacDeps(c), rbacActor(c), c.org.orgId, idParam(c, 'role'));
      return { status: 204 };
    },
  },
  {
    id: 'roles.rights.list', method: 'GET', path: `${P}/:id/rights`, ...view,
    handler: async (ctx) => {
      const c = withLiteralSeparators(authed(ctx));
      const role = await findRole(c.services.db, c.org.orgId, idParam(c, 'role'));
      return runPagedList(c, roleRightsQuery(c.services.db, role), { fields: refFields('x', 'right'), defaultSort: 'x.name', model: 'EntityReferences', toWire: refWire('right') });
    },
  },
  {
    id: 'roles.rights.add', method: 'POST', path: `${P}/:id/rights`, ...manage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const role = await changeRoleRights(rbacDeps(c), rbacActor(c), rightsScopeOf(c.principal, c.org), idParam(c, 'role'), readRefValues(c.body, 'right'), 'add');
      return wholeListResult(await rightsOfRole(c, role.id));
    },
  },
  {
    id: 'roles.rights.replace', method: 'PUT', path: `${P}/:id/rights`, ...manage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const role = await changeRoleRights(rbacDeps(c), rbacActor(c), rightsScopeOf(c.principal, c.org), idParam(c, 'role'), readRefValues(c.body, 'right'), 'replace');
      return wholeListResult(await rightsOfRole(c, role.id));
    },
  },
]);

import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { UserRow } from '../../storage/database.ts';
import { loadAssignedRoles } from '../../identity/role-refs.ts';
import {
  createUser, deleteUser, findUserInScope, takeOwnership, updateUser, type UserChanges,
} from '../../identity/user-service.ts';
import { authed, defineRoutes, type AuthedContext, type HandlerResult } from '../http/route.ts';
import { actingOf, assertOrgInScope, scopeOf } from '../http/org-scope.ts';
import { userDeps } from '../cloudapi/users-routes.ts';
import { parseUserXml, USER_XML_TYPE, userXml } from './admin-user-xml.ts';

/** Path ids are bare UUIDs (spec §1.2); anything else, or an invisible user, is 403. */
function pathUuid(c: AuthedContext, type: 'user' | 'org'): string {
  const id = uuidFromUrn(c.params.id ?? '', type);
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

async function pathUser(c: AuthedContext): Promise<UserRow> {
  return findUserInScope(c.services.db, scopeOf(c), pathUuid(c, 'user'));
}

async function userResult(c: AuthedContext, u: UserRow, status = 200): Promise<HandlerResult> {
  const { db } = c.services;
  const roles = (await loadAssignedRoles(db, 'user', u.org_id, [u.id])).get(u.id) ?? [];
  const groups = await db.selectFrom('group_members as m').innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['g.id', 'g.name']).where('m.user_id', '=', u.id).where('m.org_id', '=', u.org_id).orderBy('g.name').execute();
  return { status, body: userXml(u, roles, groups, c.baseUrl), contentType: `${USER_XML_TYPE};version=${c.version}` };
}

/**
 * XML user management used by go-vcloud-director and Terraform (spec §7.6, §9.2). Same rules as
 * `/cloudapi/1.0.0/users/`: reads need `Group / User: View`, writes `Group / User: Manage`
 * (never held by a token-derived session, spec §8.2). Errors are XML `Error` documents.
 */
export const adminUserRoutes = defineRoutes([
  {
    id: 'xml.admin.users.create', method: 'POST', path: '/api/admin/org/:id/users', family: 'xml', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const orgId = pathUuid(c, 'org');
      assertOrgInScope(c, orgId);
      const x = parseUserXml(c.body);
      if (!x.name) throw new AppError('VALIDATION_FAILED', { message: 'The User element needs a name attribute.' });
      if (!x.password) throw new AppError('VALIDATION_FAILED', { message: 'Password is required for a local user.' });
      const user = await createUser(userDeps(c), actingOf(c), orgId, {
        username: x.name, password: x.password, fullName: x.fullName, description: x.description, email: x.email,
        enabled: x.enabled, deployedVmQuota: x.deployedVmQuota, storedVmQuota: x.storedVmQuota, roles: x.role ? [x.role] : [],
      });
      return userResult(c, user, 201);
    },
  },
  {
    id: 'xml.admin.users.get', method: 'GET', path: '/api/admin/user/:id', family: 'xml', auth: 'session', right: RIGHTS.userView,
    handler: async (ctx) => {
      const c = authed(ctx);
      return userResult(c, await pathUser(c));
    },
  },
  {
    // A full User document replaces the user's state (Go's Update, Disable, Unlock, ChangePassword).
    id: 'xml.admin.users.update', method: 'PUT', path: '/api/admin/user/:id', family: 'xml', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      const user = await pathUser(c);
      const x = parseUserXml(c.body);
      const changes: UserChanges = {
        fullName: x.fullName, description: x.description, email: x.email, enabled: x.enabled,
        deployedVmQuota: x.deployedVmQuota, storedVmQuota: x.storedVmQuota,
        ...(x.name !== undefined ? { username: x.name } : {}),
        // Missing IsLocked = unlock; a locked user read and written back stays locked.
        ...(x.locked || user.locked === 1 ? { locked: x.locked } : {}),
        ...(x.password !== undefined ? { password: x.password } : {}),
        ...(x.role ? { roles: [x.role] } : {}),
      };
      return userResult(c, await updateUser(userDeps(c), actingOf(c), user, changes));
    },
  },
  {
    id: 'xml.admin.users.delete', method: 'DELETE', path: '/api/admin/user/:id', family: 'xml', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      await deleteUser(userDeps(c), actingOf(c), await pathUser(c));
      return { status: 204 };
    },
  },
  {
    id: 'xml.admin.users.takeOwnership', method: 'POST', path: '/api/admin/user/:id/action/takeOwnership', family: 'xml', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      await takeOwnership(userDeps(c), actingOf(c), await pathUser(c));
      return { status: 204 };
    },
  },
]);

import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import type { UserRow } from '../../storage/database.ts';
import { loadOrgRef } from '../../tenancy/org-queries.ts';
import { loadAssignedRoles } from '../../identity/role-refs.ts';
import {
  changeOwnPassword, createUser, deleteUser, findUserInScope, updateUser, type UserDeps,
} from '../../identity/user-service.ts';
import { authed, defineRoutes, type AuthedContext, type HandlerResult } from '../http/route.ts';
import { actingOf, scopeOf } from '../http/org-scope.ts';
import { validateBody } from '../http/validate-body.ts';
import { runPagedList } from './paged-list.ts';
import { userWire } from './user-wire.ts';

const P = '/cloudapi/1.0.0/users';

const USER_FIELDS: FiqlFieldMap = {
  id: { column: 'u.id', map: (v) => uuidFromUrn(v, 'user') ?? v },
  username: { column: 'u.username', caseInsensitive: true },
  fullName: { column: 'u.full_name' },
  email: { column: 'u.email' },
  description: { column: 'u.description' },
  enabled: { column: 'u.enabled', type: 'boolean' },
  locked: { column: 'u.locked', type: 'boolean' },
  providerType: { column: 'u.provider_type' },
};

const text = z.string().nullish().transform((v) => v ?? undefined);
const flag = z.boolean().nullish().transform((v) => v ?? undefined);
const quota = z.number().int().nullish().transform((v) => v ?? undefined);
const ref = z.object({ id: z.string().nullish(), name: z.string().nullish() });
/** POST / PUT body; read-only fields (id, orgEntityRef, isGroupRole, mfaEnrolled, …) are ignored. */
const passwordChangeBody = z.object({ oldPassword: z.string().max(1024), newPassword: z.string().max(1024) });
const userBody = z.object({
  username: text, password: text, fullName: text, description: text, email: text,
  enabled: flag, locked: flag, deployedVmQuota: quota, storedVmQuota: quota,
  roleEntityRefs: z.array(ref).max(64).nullish().transform((v) => v ?? undefined),
  providerType: z.literal('LOCAL', { message: 'only LOCAL users are supported' }).nullish(),
});

export function userDeps(c: AuthedContext): UserDeps {
  return { db: c.services.db, clock: c.services.clock, passwords: c.services.passwords };
}

function userIdParam(c: AuthedContext): string {
  const id = uuidFromUrn(c.params.id ?? '', 'user');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

/** The path's user, when the caller's scope reaches it (else 403, spec §5.3). */
export async function pathUser(c: AuthedContext): Promise<UserRow> {
  return findUserInScope(c.services.db, scopeOf(c), userIdParam(c));
}

async function userBodyOf(c: AuthedContext, u: UserRow): Promise<HandlerResult> {
  const roles = (await loadAssignedRoles(c.services.db, 'user', u.org_id, [u.id])).get(u.id) ?? [];
  return { body: userWire(u, roles, await loadOrgRef(c.services.db, u.org_id)) };
}

/**
 * `/cloudapi/1.0.0/users/` (spec §7.6) in the operating org. Writes need `Group / User: Manage`,
 * which a token-derived session never has (spec §8), so they answer the token-session 403.
 */
export const usersRoutes = defineRoutes([
  {
    id: 'users.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.userView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const { db } = c.services;
      const q = db.selectFrom('users as u').selectAll('u').where('u.org_id', '=', c.org.orgId);
      const result = await runPagedList(c, q, { fields: USER_FIELDS, defaultSort: 'u.username_lower', model: 'Users', toWire: (r) => r });
      // Roles for the page in one query (toWire is synchronous).
      const body = result.body as { values: UserRow[] };
      const roles = await loadAssignedRoles(db, 'user', c.org.orgId, body.values.map((u) => u.id));
      const org = { id: c.org.orgId, name: c.org.orgName };
      return { ...result, body: { ...body, values: body.values.map((u) => userWire(u, roles.get(u.id) ?? [], org)) } };
    },
  },
  {
    id: 'users.create', method: 'POST', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage, bodySchema: userBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const b = validateBody(userBody, c.body);
      if (!b.username) throw new AppError('VALIDATION_FAILED', { message: 'username is required.' });
      if (!b.password) throw new AppError('VALIDATION_FAILED', { message: 'password is required for a local user.' });
      const user = await createUser(userDeps(c), actingOf(c), c.org.orgId, {
        username: b.username, password: b.password, fullName: b.fullName ?? '', description: b.description ?? '', email: b.email ?? '',
        enabled: b.enabled ?? true, deployedVmQuota: b.deployedVmQuota ?? 0, storedVmQuota: b.storedVmQuota ?? 0, roles: b.roleEntityRefs ?? [],
      });
      return { ...(await userBodyOf(c, user)), status: 201 };
    },
  },
  {
    id: 'users.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userView,
    handler: async (ctx) => {
      const c = authed(ctx);
      return userBodyOf(c, await pathUser(c));
    },
  },
  {
    id: 'users.update', method: 'PUT', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage, bodySchema: userBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const user = await pathUser(c);
      const b = validateBody(userBody, c.body);
      const { roleEntityRefs, providerType: _ignored, ...rest } = b;
      const changes = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      const updated = await updateUser(userDeps(c), actingOf(c), user, { ...changes, ...(roleEntityRefs ? { roles: roleEntityRefs } : {}) });
      return userBodyOf(c, updated);
    },
  },
  {
    id: 'users.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      await deleteUser(userDeps(c), actingOf(c), await pathUser(c));
      return { status: 204 };
    },
  },
  {
    // Not a VCD path (VCD changes passwords through the UI or PUT by an admin): our documented
    // self-service change. The current password is required; other sessions end.
    id: 'users.changeOwnPassword', method: 'PUT', path: `${P}/current/password`, family: 'cloudapi', auth: 'session', apiTokenSession: 'deny', bodySchema: passwordChangeBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const b = validateBody(passwordChangeBody, c.body);
      await changeOwnPassword({ ...userDeps(c), limiter: c.services.loginLimiter }, actingOf(c), b.oldPassword, b.newPassword);
      return { status: 204 };
    },
  },
]);

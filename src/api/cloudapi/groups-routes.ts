import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import type { GroupRow } from '../../storage/database.ts';
import { loadOrgRef } from '../../tenancy/org-queries.ts';
import { loadAssignedRoles } from '../../identity/role-refs.ts';
import {
  createGroup, deleteGroup, findGroupInScope, loadGroupMembers, updateGroup, type GroupDeps,
} from '../../identity/group-service.ts';
import { authed, defineRoutes, type AuthedContext, type HandlerResult } from '../http/route.ts';
import { actingOf, scopeOf } from '../http/org-scope.ts';
import { validateBody } from '../http/validate-body.ts';
import { runPagedList } from './paged-list.ts';
import { groupWire } from './group-wire.ts';

const P = '/cloudapi/1.0.0/groups';

const GROUP_FIELDS: FiqlFieldMap = {
  id: { column: 'g.id', map: (v) => uuidFromUrn(v, 'group') ?? v },
  name: { column: 'g.name', caseInsensitive: true },
  description: { column: 'g.description' },
  providerType: { column: 'g.provider_type' },
};

const text = z.string().nullish().transform((v) => v ?? undefined);
const refs = z.array(z.object({ id: z.string().nullish(), name: z.string().nullish() })).max(1000).nullish().transform((v) => v ?? undefined);
/** POST / PUT body; `roleEntityRefs` and `usersList`, when present, replace the whole set. */
const groupBody = z.object({
  name: text, description: text, roleEntityRefs: refs, usersList: refs,
  providerType: z.literal('LOCAL', { message: 'only LOCAL groups are supported' }).nullish(),
});

function deps(c: AuthedContext): GroupDeps {
  return { db: c.services.db, clock: c.services.clock };
}

async function pathGroup(c: AuthedContext): Promise<GroupRow> {
  const id = uuidFromUrn(c.params.id ?? '', 'group');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return findGroupInScope(c.services.db, scopeOf(c), id);
}

async function groupBodyOf(c: AuthedContext, groupId: string, orgId: string): Promise<HandlerResult> {
  const { db } = c.services;
  const g = await db.selectFrom('groups').selectAll().where('id', '=', groupId).where('org_id', '=', orgId).executeTakeFirstOrThrow();
  const roles = (await loadAssignedRoles(db, 'group', orgId, [groupId])).get(groupId) ?? [];
  const members = (await loadGroupMembers(db, orgId, [groupId])).get(groupId) ?? [];
  return { body: groupWire(g, roles, members, await loadOrgRef(db, orgId)) };
}

/**
 * `/cloudapi/1.0.0/groups/` (spec §7.6) in the operating org. Group roles count in their
 * members' effective rights; role and membership changes bump the RBAC version at once.
 */
export const groupsRoutes = defineRoutes([
  {
    id: 'groups.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.userView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const { db } = c.services;
      const q = db.selectFrom('groups as g').selectAll('g').where('g.org_id', '=', c.org.orgId);
      const result = await runPagedList(c, q, { fields: GROUP_FIELDS, defaultSort: 'g.name', model: 'Groups', toWire: (r) => r });
      const body = result.body as { values: GroupRow[] };
      const ids = body.values.map((g) => g.id);
      const roles = await loadAssignedRoles(db, 'group', c.org.orgId, ids);
      const members = await loadGroupMembers(db, c.org.orgId, ids);
      const org = { id: c.org.orgId, name: c.org.orgName };
      return { ...result, body: { ...body, values: body.values.map((g) => groupWire(g, roles.get(g.id) ?? [], members.get(g.id) ?? [], org)) } };
    },
  },
  {
    id: 'groups.create', method: 'POST', path: P, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage, bodySchema: groupBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const b = validateBody(groupBody, c.body);
      if (!b.name) throw new AppError('VALIDATION_FAILED', { message: 'name is required.' });
      const id = await createGroup(deps(c), actingOf(c), c.org.orgId, {
        name: b.name, description: b.description ?? '', roles: b.roleEntityRefs ?? [], members: b.usersList ?? [],
      });
      return { ...(await groupBodyOf(c, id, c.org.orgId)), status: 201 };
    },
  },
  {
    id: 'groups.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const g = await pathGroup(c);
      return groupBodyOf(c, g.id, g.org_id);
    },
  },
  {
    id: 'groups.update', method: 'PUT', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage, bodySchema: groupBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      const g = await pathGroup(c);
      const b = validateBody(groupBody, c.body);
      await updateGroup(deps(c), actingOf(c), g, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.roleEntityRefs !== undefined ? { roles: b.roleEntityRefs } : {}),
        ...(b.usersList !== undefined ? { members: b.usersList } : {}),
      });
      return groupBodyOf(c, g.id, g.org_id);
    },
  },
  {
    id: 'groups.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.userManage,
    handler: async (ctx) => {
      const c = authed(ctx);
      await deleteGroup(deps(c), actingOf(c), await pathGroup(c));
      return { status: 204 };
    },
  },
]);

import { sql, type Kysely } from 'kysely';
import type { Database, GroupRow } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newId, uuidFromUrn } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { bumpRbacVersion } from '../rbac/global-role-sync.ts';
import { loadOrgRef } from '../tenancy/org-queries.ts';
import { auditActorIn, type Acting, type OrgScope } from './acting.ts';
import { resolveRoleRefs, type RoleRefInput } from './role-refs.ts';
import { checkText } from './user-rules.ts';

export interface GroupDeps {
  db: Kysely<Database>;
  clock: Clock;
}

/** A member named by a client: `{id}` (URN or UUID) and/or `{name}` (user name), as in usersList. */
export interface MemberRefInput {
  id?: string | null | undefined;
  name?: string | null | undefined;
}

export interface NewGroup {
  name: string;
  description: string;
  roles: readonly RoleRefInput[];
  members: readonly MemberRefInput[];
}

/** A PUT changes what it names; `roles` / `members` present replace the whole set. */
export type GroupChanges = Partial<NewGroup>;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkGroupName(name: string): string {
  if (name.length < 1 || name.length > 128 || CONTROL_CHARS.test(name) || name.trim() !== name) {
    throw new AppError('VALIDATION_FAILED', { message: 'name must be 1 to 128 printable characters without surrounding spaces.' });
  }
  return name;
}

/** A group the scope may address, or 403 (spec §5.3). */
export async function findGroupInScope(db: Kysely<Database>, scope: OrgScope, groupId: string): Promise<GroupRow> {
  let q = db.selectFrom('groups').selectAll().where('id', '=', groupId);
  if (!scope.anyOrg) q = q.where('org_id', '=', scope.orgId);
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

/** Members must be users of the group's org; anything else is a 400. */
async function resolveMembers(db: Kysely<Database>, orgId: string, refs: readonly MemberRefInput[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const ref of refs) {
    let row: { id: string } | undefined;
    if (ref.id) {
      const id = uuidFromUrn(ref.id, 'user');
      if (id) row = await db.selectFrom('users').select('id').where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    } else if (ref.name) {
      row = await db.selectFrom('users').select('id').where('username_lower', '=', ref.name.toLowerCase()).where('org_id', '=', orgId).executeTakeFirst();
    }
    if (!row) throw new AppError('VALIDATION_FAILED', { message: `User "${(ref.id ?? ref.name ?? '').slice(0, 128)}" does not exist in this organization.` });
    ids.add(row.id);
  }
  return [...ids];
}

async function assertNameFree(trx: Kysely<Database>, orgId: string, name: string, exceptId?: string): Promise<void> {
  let q = trx.selectFrom('groups').select('id').where('org_id', '=', orgId).where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) throw new AppError('DUPLICATE_NAME', { message: `A group named "${name}" already exists in this organization.` });
}

async function replaceRoles(trx: Kysely<Database>, group: { id: string; org_id: string }, refs: readonly RoleRefInput[]): Promise<void> {
  const roleIds = await resolveRoleRefs(trx, group.org_id, refs);
  await trx.deleteFrom('group_roles').where('group_id', '=', group.id).where('org_id', '=', group.org_id).execute();
  for (const roleId of roleIds) await trx.insertInto('group_roles').values({ group_id: group.id, role_id: roleId, org_id: group.org_id }).execute();
}

async function replaceMembers(trx: Kysely<Database>, group: { id: string; org_id: string }, refs: readonly MemberRefInput[]): Promise<void> {
  const userIds = await resolveMembers(trx, group.org_id, refs);
  await trx.deleteFrom('group_members').where('group_id', '=', group.id).where('org_id', '=', group.org_id).execute();
  for (const userId of userIds) await trx.insertInto('group_members').values({ group_id: group.id, user_id: userId, org_id: group.org_id }).execute();
}

/** Creates a local group; its roles count in its members' effective rights (spec §7.4). */
export async function createGroup(deps: GroupDeps, acting: Acting, orgId: string, input: NewGroup): Promise<string> {
  checkGroupName(input.name);
  checkText('description', input.description, 4096);
  const org = await loadOrgRef(deps.db, orgId);
  return deps.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, orgId, input.name);
    const id = newId();
    await trx.insertInto('groups').values({ id, org_id: orgId, name: input.name, description: input.description, provider_type: 'LOCAL' }).execute();
    await replaceRoles(trx, { id, org_id: orgId }, input.roles);
    await replaceMembers(trx, { id, org_id: orgId }, input.members);
    await bumpRbacVersion(trx);
    await appendAuditEvent(trx, {
      event: 'group.created', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id, name: input.name, type: 'group' }, description: `Group ${input.name} created in ${org.name}`,
    });
    return id;
  });
}

/** Renames, describes, and replaces roles and members; any role or membership change bumps RBAC. */
export async function updateGroup(deps: GroupDeps, acting: Acting, group: GroupRow, c: GroupChanges): Promise<void> {
  if (c.name !== undefined) checkGroupName(c.name);
  if (c.description !== undefined) checkText('description', c.description, 4096);
  const org = await loadOrgRef(deps.db, group.org_id);
  await deps.db.transaction().execute(async (trx) => {
    if (c.name !== undefined && c.name !== group.name) await assertNameFree(trx, group.org_id, c.name, group.id);
    const set: { name?: string; description?: string } = {};
    if (c.name !== undefined) set.name = c.name;
    if (c.description !== undefined) set.description = c.description;
    if (Object.keys(set).length > 0) await trx.updateTable('groups').set(set).where('id', '=', group.id).where('org_id', '=', group.org_id).execute();
    if (c.roles !== undefined) await replaceRoles(trx, group, c.roles);
    if (c.members !== undefined) await replaceMembers(trx, group, c.members);
    if (c.roles !== undefined || c.members !== undefined) await bumpRbacVersion(trx);
    await appendAuditEvent(trx, {
      event: 'group.modified', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: group.id, name: c.name ?? group.name, type: 'group' },
      description: `Group ${group.name} modified (${Object.keys(c).join(', ') || 'nothing'})`,
    });
  });
}

export async function deleteGroup(deps: GroupDeps, acting: Acting, group: GroupRow): Promise<void> {
  const org = await loadOrgRef(deps.db, group.org_id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('group_members').where('group_id', '=', group.id).where('org_id', '=', group.org_id).execute();
    await trx.deleteFrom('group_roles').where('group_id', '=', group.id).where('org_id', '=', group.org_id).execute();
    await trx.deleteFrom('groups').where('id', '=', group.id).where('org_id', '=', group.org_id).execute();
    await bumpRbacVersion(trx);
    await appendAuditEvent(trx, {
      event: 'group.deleted', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: group.id, name: group.name, type: 'group' }, description: `Group ${group.name} deleted from ${org.name}`,
    });
  });
}

/** Members of many groups at once (list pages): group id → [{id, name}]. */
export async function loadGroupMembers(db: Kysely<Database>, orgId: string, groupIds: readonly string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  if (groupIds.length === 0) return out;
  const rows = await db.selectFrom('group_members as m').innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.group_id', 'u.id', 'u.username']).where('m.org_id', '=', orgId).where('m.group_id', 'in', groupIds)
    .orderBy('u.username').execute();
  for (const r of rows) {
    const list = out.get(r.group_id) ?? [];
    list.push({ id: r.id, name: r.username });
    out.set(r.group_id, list);
  }
  return out;
}

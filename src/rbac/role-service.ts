import type { Kysely } from 'kysely';
import type { Database, RoleRow } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { newId } from '../common/ids.ts';
import { recordRbacChange, type RbacActor, type RbacDeps } from './rbac-change.ts';
import type { RbacObjectInput, RefInput } from './rbac-input.ts';
import { assertRightsAllowedInOrg, resolveRightRefs } from './right-refs.ts';
import type { RightsScope } from './rights-query.ts';

/**
 * Roles of one org (spec §7.3). Every query names the org (STYLE §7). A global role published to
 * the org appears here as a read-only copy whose rights are the global role's, read live
 * (global-role-sync.ts); only the global role can change it.
 */

/** The org's roles as a query over alias `ro` (for FIQL filters and paging). */
export function rolesQuery(db: Kysely<Database>, orgId: string) {
  const inner = db.selectFrom('roles').select(['id', 'name', 'description', 'bundle_key', 'read_only']).where('org_id', '=', orgId);
  return db.selectFrom(inner.as('ro')).selectAll('ro');
}

/** A role of the org; anything else (unknown, another org's) is 403, never 404 (spec §5.3). */
export async function findRole(db: Kysely<Database>, orgId: string, roleId: string): Promise<RoleRow> {
  const row = await db.selectFrom('roles').selectAll().where('org_id', '=', orgId).where('id', '=', roleId).executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

/**
 * Read-only roles (published global roles, the provider's System Administrator) refuse every
 * change. 400 rather than 403: the caller has the right and the role exists; the request itself
 * is what cannot be honoured, and VCD reports edits of predefined roles as BAD_REQUEST [U].
 */
function assertWritable(role: RoleRow): void {
  if (role.read_only !== 1) return;
  const why = role.global_role_id ? ': it is a global role published to this organization; the provider edits it as a global role' : '';
  throw new AppError('BAD_REQUEST', { message: `The role "${role.name}" is read-only${why}.` });
}

async function assertNameFree(db: Kysely<Database>, orgId: string, name: string, exceptId?: string): Promise<void> {
  let q = db.selectFrom('roles').select('id').where('org_id', '=', orgId).where('name', '=', name);
  if (exceptId) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) throw new AppError('DUPLICATE_NAME', { message: `A role named "${name}" already exists in this organization.` });
}

const entityOf = (role: { id: string; name: string }) => ({ id: role.id, name: role.name, type: 'role' });

export async function createRole(deps: RbacDeps, actor: RbacActor, orgId: string, input: RbacObjectInput): Promise<RoleRow> {
  return deps.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, orgId, input.name);
    const row: RoleRow = {
      id: newId(), org_id: orgId, name: input.name, description: input.description, bundle_key: input.bundleKey, read_only: 0, global_role_id: null,
    };
    await trx.insertInto('roles').values(row).execute();
    await recordRbacChange(trx, deps.clock, actor, { event: 'role.created', orgId, entity: entityOf(row), description: `Role "${row.name}" created` });
    return row;
  });
}

export async function updateRole(deps: RbacDeps, actor: RbacActor, orgId: string, roleId: string, input: RbacObjectInput): Promise<RoleRow> {
  return deps.db.transaction().execute(async (trx) => {
    const role = await findRole(trx, orgId, roleId);
    assertWritable(role);
    await assertNameFree(trx, orgId, input.name, role.id);
    await trx.updateTable('roles').set({ name: input.name, description: input.description, bundle_key: input.bundleKey })
      .where('org_id', '=', orgId).where('id', '=', role.id).execute();
    const updated = { ...role, name: input.name, description: input.description, bundle_key: input.bundleKey };
    await recordRbacChange(trx, deps.clock, actor, {
      event: 'role.modified', orgId, entity: entityOf(updated), description: `Role "${updated.name}" modified`,
      ...(role.name !== updated.name ? { properties: { 'role.previousName': role.name } } : {}),
    });
    return updated;
  });
}

/** Deletes an unused role. VCD refuses to delete a role still assigned; so do we (400). */
export async function deleteRole(deps: RbacDeps, actor: RbacActor, orgId: string, roleId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const role = await findRole(trx, orgId, roleId);
    assertWritable(role);
    const users = await trx.selectFrom('user_roles').select('user_id').where('org_id', '=', orgId).where('role_id', '=', role.id).limit(1).executeTakeFirst();
    const groups = await trx.selectFrom('group_roles').select('group_id').where('org_id', '=', orgId).where('role_id', '=', role.id).limit(1).executeTakeFirst();
    if (users || groups) {
      throw new AppError('BAD_REQUEST', { message: `The role "${role.name}" is assigned to ${users ? 'users' : 'groups'}; assign them another role before deleting it.` });
    }
    await trx.deleteFrom('role_rights').where('role_id', '=', role.id).execute();
    await trx.deleteFrom('roles').where('org_id', '=', orgId).where('id', '=', role.id).execute();
    await recordRbacChange(trx, deps.clock, actor, { event: 'role.deleted', orgId, entity: entityOf(role), description: `Role "${role.name}" deleted` });
  });
}

/** The rights of a role as a query over alias `x` (`id`, `name`); a published copy reads the global role's. */
export function roleRightsQuery(db: Kysely<Database>, role: RoleRow) {
  const inner = role.global_role_id
    ? db.selectFrom('global_role_rights').innerJoin('rights', 'rights.id', 'global_role_rights.right_id')
      .select(['rights.id as id', 'rights.name as name']).where('global_role_rights.global_role_id', '=', role.global_role_id)
    : db.selectFrom('role_rights').innerJoin('rights', 'rights.id', 'role_rights.right_id')
      .select(['rights.id as id', 'rights.name as name']).where('role_rights.role_id', '=', role.id);
  return db.selectFrom(inner.as('x')).selectAll('x');
}

/**
 * Adds rights to a role (`add`: duplicates ignored) or replaces them (`replace`: empty clears),
 * spec §7.3. In a tenant org every right must come from the org's published bundles.
 */
export async function changeRoleRights(
  deps: RbacDeps, actor: RbacActor, scope: RightsScope, roleId: string, refs: readonly RefInput[], mode: 'add' | 'replace',
): Promise<RoleRow> {
  return deps.db.transaction().execute(async (trx) => {
    const role = await findRole(trx, scope.orgId, roleId);
    assertWritable(role);
    const rights = await resolveRightRefs(trx, refs);
    if (!scope.unrestricted) await assertRightsAllowedInOrg(trx, scope.orgId, rights);
    const have = new Set((await trx.selectFrom('role_rights').select('right_id').where('role_id', '=', role.id).execute()).map((r) => r.right_id));
    if (mode === 'replace') await trx.deleteFrom('role_rights').where('role_id', '=', role.id).execute();
    const toInsert = mode === 'replace' ? rights : rights.filter((r) => !have.has(r.id));
    if (toInsert.length > 0) await trx.insertInto('role_rights').values(toInsert.map((r) => ({ role_id: role.id, right_id: r.id }))).execute();
    await recordRbacChange(trx, deps.clock, actor, {
      event: 'role.modified', orgId: scope.orgId, entity: entityOf(role),
      description: mode === 'replace' ? `Rights of role "${role.name}" replaced (${rights.length} rights)` : `${toInsert.length} rights added to role "${role.name}"`,
      properties: { 'role.rights.change': mode, 'role.rights.count': String(rights.length) },
    });
    return role;
  });
}

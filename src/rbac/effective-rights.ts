import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';

/**
 * A user's effective rights (spec §7.4): the rights of their roles, own and through groups; for a
 * tenant org, intersected with the rights of the bundles published to that org. The provider org
 * is not limited by bundles.
 */
export async function loadEffectiveRights(
  db: Kysely<Database>,
  params: { userId: string; orgId: string; isProvider: boolean },
): Promise<{ rights: Set<string>; roles: { id: string; name: string }[] }> {
  const { userId, orgId } = params;
  const roles = await db
    .selectFrom('roles')
    .select(['roles.id', 'roles.name', 'roles.global_role_id'])
    .where('roles.org_id', '=', orgId)
    .where((eb) =>
      eb.or([
        eb('roles.id', 'in', eb.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).where('org_id', '=', orgId)),
        eb('roles.id', 'in', eb.selectFrom('group_roles').select('group_roles.role_id')
          .innerJoin('group_members', 'group_members.group_id', 'group_roles.group_id')
          .where('group_members.user_id', '=', userId).where('group_roles.org_id', '=', orgId)),
      ]),
    )
    .orderBy('roles.name')
    .execute();
  const localIds = roles.filter((r) => !r.global_role_id).map((r) => r.id);
  const globalIds = roles.flatMap((r) => (r.global_role_id ? [r.global_role_id] : []));
  const names = new Set<string>();
  if (localIds.length > 0) {
    const rows = await db.selectFrom('role_rights').innerJoin('rights', 'rights.id', 'role_rights.right_id')
      .select('rights.name').where('role_rights.role_id', 'in', localIds).execute();
    for (const r of rows) names.add(r.name);
  }
  if (globalIds.length > 0) {
    const rows = await db.selectFrom('global_role_rights').innerJoin('rights', 'rights.id', 'global_role_rights.right_id')
      .select('rights.name').where('global_role_rights.global_role_id', 'in', globalIds).execute();
    for (const r of rows) names.add(r.name);
  }
  if (!params.isProvider && names.size > 0) {
    const allowed = await loadOrgBundleRights(db, orgId);
    for (const n of [...names]) if (!allowed.has(n)) names.delete(n);
  }
  return { rights: names, roles: roles.map((r) => ({ id: r.id, name: r.name })) };
}

/** Union of the rights of every bundle published to the org (explicitly or to all). */
export async function loadOrgBundleRights(db: Kysely<Database>, orgId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('rights_bundle_rights')
    .innerJoin('rights', 'rights.id', 'rights_bundle_rights.right_id')
    .innerJoin('rights_bundles', 'rights_bundles.id', 'rights_bundle_rights.rights_bundle_id')
    .select('rights.name')
    .where((eb) =>
      eb.or([
        eb('rights_bundles.publish_all', '=', 1),
        eb('rights_bundles.id', 'in', eb.selectFrom('rights_bundle_tenants').select('rights_bundle_id').where('org_id', '=', orgId)),
      ]),
    )
    .execute();
  return new Set(rows.map((r) => r.name));
}

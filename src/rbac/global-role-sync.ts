import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { uuidV5 } from '../common/ids.ts';

/** Stable id of a global role's copy inside one org. */
export function publishedRoleId(globalRoleId: string, orgId: string): string {
  return uuidV5(`${globalRoleId}:${orgId}`);
}

/**
 * Makes the org's roles match the global roles published to it (spec §7.4): a published global
 * role appears in the org as a read-only role whose rights are the global role's (read live, so
 * edits apply at once); an unpublished one disappears with its assignments.
 */
export async function syncPublishedGlobalRoles(db: Kysely<Database>, orgId: string): Promise<void> {
  const published = await db
    .selectFrom('global_roles')
    .selectAll()
    .where((eb) => eb.or([
      eb('publish_all', '=', 1),
      eb('id', 'in', eb.selectFrom('global_role_tenants').select('global_role_id').where('org_id', '=', orgId)),
    ]))
    .execute();
  const existing = await db.selectFrom('roles').select(['id', 'global_role_id']).where('org_id', '=', orgId)
    .where('global_role_id', 'is not', null).execute();
  const wanted = new Set(published.map((g) => g.id));
  for (const role of existing) {
    if (role.global_role_id && !wanted.has(role.global_role_id)) {
      await db.deleteFrom('user_roles').where('role_id', '=', role.id).where('org_id', '=', orgId).execute();
      await db.deleteFrom('group_roles').where('role_id', '=', role.id).where('org_id', '=', orgId).execute();
      await db.deleteFrom('roles').where('id', '=', role.id).where('org_id', '=', orgId).execute();
    }
  }
  const have = new Set(existing.map((r) => r.global_role_id));
  for (const g of published) {
    if (have.has(g.id)) continue;
    // A local role of the same name shadows nothing: the global copy gets a suffix-free name only
    // when free (names are unique per org).
    const clash = await db.selectFrom('roles').select('id').where('org_id', '=', orgId).where('name', '=', g.name).executeTakeFirst();
    if (clash) continue;
    await db.insertInto('roles').values({
      id: publishedRoleId(g.id, orgId), org_id: orgId, name: g.name, description: g.description,
      bundle_key: g.bundle_key, read_only: 1, global_role_id: g.id,
    }).execute();
  }
}

/** Runs syncPublishedGlobalRoles for every org (after a publish change or global role edit). */
export async function syncPublishedGlobalRolesEverywhere(db: Kysely<Database>): Promise<void> {
  const orgs = await db.selectFrom('orgs').select('id').execute();
  for (const o of orgs) await syncPublishedGlobalRoles(db, o.id);
}

/** Any change that can alter someone's effective rights bumps this, invalidating rights caches. */
export async function bumpRbacVersion(db: Kysely<Database>): Promise<void> {
  await db.updateTable('rbac_version').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', 1).execute();
}

import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { bumpRbacVersion } from '../rbac/global-role-sync.ts';
import {
  GLOBAL_ROLE_DEFINITIONS, RIGHTS_BUNDLE_DEFINITIONS, SYSTEM_ADMIN_ROLE, SYSTEM_ORG_NAME, type RightName,
} from '../rbac/rights-catalog.ts';

/**
 * An installation made by an older version gets the rights a newer catalogue adds (issue 16:
 * Token: Introspect) where the predefined objects would have had them on a fresh install: the
 * System Administrator role (all rights), and each predefined global role and rights bundle whose
 * definition lists the right — as VCD adds new rights to its predefined roles on upgrade. Objects
 * that do not exist (a fresh install, a deleted global role) are skipped. `rightIdOf` is
 * bootstrap's name-based id. A grant that already exists is left as it is (idempotent).
 */
export async function grantNewRightsToPredefinedObjects(
  db: Kysely<Database>, added: readonly RightName[], rightIdOf: (name: string) => string,
  ids: { globalRoleId: (name: string) => string; rightsBundleId: (name: string) => string },
): Promise<void> {
  if (added.length === 0) return;
  const adminRole = await db.selectFrom('roles as r').innerJoin('orgs as o', 'o.id', 'r.org_id').select('r.id')
    .where('o.name', '=', SYSTEM_ORG_NAME).where('r.name', '=', SYSTEM_ADMIN_ROLE).executeTakeFirst();
  const globalRoles = new Set((await db.selectFrom('global_roles').select('id').execute()).map((g) => g.id));
  const bundles = new Set((await db.selectFrom('rights_bundles').select('id').execute()).map((b) => b.id));
  let granted = false;
  for (const right of added) {
    const right_id = rightIdOf(right);
    if (adminRole) {
      await db.insertInto('role_rights').values({ role_id: adminRole.id, right_id }).onConflict((oc) => oc.doNothing()).execute();
      granted = true;
    }
    for (const g of GLOBAL_ROLE_DEFINITIONS) {
      const id = ids.globalRoleId(g.name);
      if (!g.rights.includes(right) || !globalRoles.has(id)) continue;
      await db.insertInto('global_role_rights').values({ global_role_id: id, right_id }).onConflict((oc) => oc.doNothing()).execute();
      granted = true;
    }
    for (const b of RIGHTS_BUNDLE_DEFINITIONS) {
      const id = ids.rightsBundleId(b.name);
      if (!b.rights.includes(right) || !bundles.has(id)) continue;
      await db.insertInto('rights_bundle_rights').values({ rights_bundle_id: id, right_id }).onConflict((oc) => oc.doNothing()).execute();
      granted = true;
    }
  }
  if (granted) await bumpRbacVersion(db);
}

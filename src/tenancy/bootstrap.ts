import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { newId, uuidV5 } from '../common/ids.ts';
import type { Clock } from '../common/clock.ts';
import {
  GLOBAL_ROLE_DEFINITIONS, RIGHT_DEFINITIONS, RIGHTS_BUNDLE_DEFINITIONS, SYSTEM_ADMIN_ROLE, SYSTEM_ORG_NAME,
} from '../rbac/rights-catalog.ts';
import { hashPassword, type PasswordHashPolicy } from '../identity/password.ts';
import { grantNewRightsToPredefinedObjects } from './grant-new-rights.ts';

/** Stable ids (UUIDv5 of the name) for catalogue objects, as VCD's are name-based (spec §1.2). */
export const rightId = (name: string): string => uuidV5(`right:${name}`);
export const categoryId = (name: string): string => uuidV5(`rightsCategory:${name}`);
export const globalRoleId = (name: string): string => uuidV5(`globalRole:${name}`);
export const rightsBundleId = (name: string): string => uuidV5(`rightsBundle:${name}`);

export interface BootstrapResult {
  created: boolean;
  /** Set only when the password was generated here (printed once by the caller). */
  generatedAdminPassword?: string;
}

/**
 * First start on an empty database: the rights catalogue, global roles, rights bundles, the
 * `System` org with role `System Administrator` (all rights) and user `administrator`.
 * Idempotent: does nothing when the System org exists. Catalogue rights added by newer versions
 * are inserted on every start.
 */
export async function bootstrap(
  db: Kysely<Database>,
  opts: { clock: Clock; adminPassword: string | undefined; passwordHash: PasswordHashPolicy },
): Promise<BootstrapResult> {
  await seedRightsCatalogue(db);
  const existing = await db.selectFrom('orgs').select('id').where('name', '=', SYSTEM_ORG_NAME).executeTakeFirst();
  if (existing) return { created: false };
  const generated = opts.adminPassword ? undefined : randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(opts.adminPassword ?? generated ?? '', opts.passwordHash);
  const now = opts.clock.now().toISOString();
  await db.transaction().execute(async (trx) => {
    for (const g of GLOBAL_ROLE_DEFINITIONS) {
      const id = globalRoleId(g.name);
      await trx.insertInto('global_roles').values({ id, name: g.name, description: g.description, bundle_key: g.bundleKey, read_only: 0, publish_all: 1 }).execute();
      for (const r of g.rights) await trx.insertInto('global_role_rights').values({ global_role_id: id, right_id: rightId(r) }).execute();
    }
    for (const b of RIGHTS_BUNDLE_DEFINITIONS) {
      const id = rightsBundleId(b.name);
      await trx.insertInto('rights_bundles').values({ id, name: b.name, description: b.description, bundle_key: 'com.vmware.vcloud.undefined.key', read_only: 0, publish_all: b.publishAll ? 1 : 0 }).execute();
      for (const r of b.rights) await trx.insertInto('rights_bundle_rights').values({ rights_bundle_id: id, right_id: rightId(r) }).execute();
    }
    const orgId = newId();
    await trx.insertInto('orgs').values({
      id: orgId, name: SYSTEM_ORG_NAME, name_lower: SYSTEM_ORG_NAME.toLowerCase(), display_name: 'System Organization',
      description: 'The provider organization', is_enabled: 1, require_mfa: 0, created_at: now,
    }).execute();
    const roleId = newId();
    await trx.insertInto('roles').values({ id: roleId, org_id: orgId, name: SYSTEM_ADMIN_ROLE, description: 'Built-in rights for administering this installation', bundle_key: 'ROLE_SYSTEM_ADMINISTRATOR', read_only: 1, global_role_id: null }).execute();
    for (const d of RIGHT_DEFINITIONS) await trx.insertInto('role_rights').values({ role_id: roleId, right_id: rightId(d.name) }).execute();
    const userId = newId();
    await trx.insertInto('users').values({
      id: userId, org_id: orgId, username: 'administrator', username_lower: 'administrator', full_name: 'System Administrator',
      description: '', email: '', password_hash: passwordHash, enabled: 1, locked: 0, provider_type: 'LOCAL',
      totp_secret: null, totp_pending_secret: null, totp_enabled: 0, totp_last_step: 0, totp_failures: 0,
      deployed_vm_quota: 0, stored_vm_quota: 0, created_at: now,
    }).execute();
    await trx.insertInto('user_roles').values({ user_id: userId, role_id: roleId, org_id: orgId }).execute();
  });
  return generated ? { created: true, generatedAdminPassword: generated } : { created: true };
}

/** Inserts the catalogue rights this version knows and the database lacks (every start). */
export async function seedRightsCatalogue(db: Kysely<Database>): Promise<void> {
  const have = new Set((await db.selectFrom('rights').select('name').execute()).map((r) => r.name));
  const missing = RIGHT_DEFINITIONS.filter((d) => !have.has(d.name));
  if (missing.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const cats = new Set((await trx.selectFrom('rights_categories').select('name').execute()).map((c) => c.name));
    for (const d of missing) {
      if (!cats.has(d.category)) {
        cats.add(d.category);
        await trx.insertInto('rights_categories').values({ id: categoryId(d.category), name: d.category, bundle_key: `RIGHT_CATEGORY_${d.category.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`, parent_id: null }).execute();
      }
      await trx.insertInto('rights').values({
        id: rightId(d.name), name: d.name, description: d.description, bundle_key: d.bundleKey,
        category_id: categoryId(d.category), right_type: d.rightType, service_namespace: 'com.vmware.vcloud',
      }).execute();
    }
    await grantNewRightsToPredefinedObjects(trx, missing.map((d) => d.name), rightId, { globalRoleId, rightsBundleId });
  });
}

import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/database.ts';
import { newId } from '../../src/common/ids.ts';
import { hashPassword } from '../../src/identity/password.ts';
import { TEST_PASSWORD_POLICY } from './test-server.ts';
import { bumpRbacVersion, syncPublishedGlobalRoles } from '../../src/rbac/global-role-sync.ts';
import { rightId } from '../../src/tenancy/bootstrap.ts';
import { RIGHTS } from '../../src/rbac/rights-catalog.ts';

export const TENANT_PASSWORD = 'tenant-Passw0rd!';

/**
 * Creates a tenant org with users holding the given published global roles, directly in the
 * database (independent of the org/user APIs, which have their own tests).
 */
export async function createTenant(
  db: Kysely<Database>,
  name: string,
  users: Record<string, string>,
): Promise<{ orgId: string; userIds: Record<string, string> }> {
  const orgId = newId();
  const now = new Date().toISOString();
  const passwordHash = await hashPassword(TENANT_PASSWORD, TEST_PASSWORD_POLICY);
  const userIds: Record<string, string> = {};
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('orgs').values({
      id: orgId, name, name_lower: name.toLowerCase(), display_name: `${name} Inc.`, description: '', is_enabled: 1, require_mfa: 0, created_at: now,
    }).execute();
    await syncPublishedGlobalRoles(trx, orgId);
    for (const [username, roleName] of Object.entries(users)) {
      const id = newId();
      userIds[username] = id;
      await trx.insertInto('users').values({
        id, org_id: orgId, username, username_lower: username.toLowerCase(), full_name: username, description: '', email: '',
        password_hash: passwordHash, enabled: 1, locked: 0, provider_type: 'LOCAL', totp_secret: null, totp_pending_secret: null,
        totp_enabled: 0, totp_last_step: 0, totp_failures: 0, deployed_vm_quota: 0, stored_vm_quota: 0, created_at: now,
      }).execute();
      const role = await trx.selectFrom('roles').select('id').where('org_id', '=', orgId).where('name', '=', roleName).executeTakeFirstOrThrow();
      await trx.insertInto('user_roles').values({ user_id: id, role_id: role.id, org_id: orgId }).execute();
    }
  });
  return { orgId, userIds };
}

/** What the provider does in seed 000: a bundle with the token rights, published to one tenant. */
export async function publishTokenRightsBundle(db: Kysely<Database>, orgId: string): Promise<void> {
  const bundleId = newId();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('rights_bundles').values({ id: bundleId, name: `API tokens ${bundleId.slice(0, 8)}`, description: 'Token rights', bundle_key: 'x', read_only: 0, publish_all: 0 }).execute();
    for (const r of [RIGHTS.apiTokensManage, RIGHTS.apiTokensManageAll]) {
      await trx.insertInto('rights_bundle_rights').values({ rights_bundle_id: bundleId, right_id: rightId(r) }).execute();
    }
    await trx.insertInto('rights_bundle_tenants').values({ rights_bundle_id: bundleId, org_id: orgId }).execute();
    await bumpRbacVersion(trx);
  });
}

/** A bundle with the service-account rights (issue 16), published to one tenant, as for API tokens. */
export async function publishServiceAccountRightsBundle(db: Kysely<Database>, orgId: string): Promise<void> {
  const bundleId = newId();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('rights_bundles').values({ id: bundleId, name: `Service accounts ${bundleId.slice(0, 8)}`, description: 'Service account rights', bundle_key: 'x', read_only: 0, publish_all: 0 }).execute();
    for (const r of [RIGHTS.serviceAccountsView, RIGHTS.serviceAccountsManage, RIGHTS.serviceAccountsViewLimited]) {
      await trx.insertInto('rights_bundle_rights').values({ rights_bundle_id: bundleId, right_id: rightId(r) }).execute();
    }
    await trx.insertInto('rights_bundle_tenants').values({ rights_bundle_id: bundleId, org_id: orgId }).execute();
    await bumpRbacVersion(trx);
  });
}

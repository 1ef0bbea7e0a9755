import { describe, expect, it } from 'vitest';
import { up } from '../../src/storage/migrations/2026-12-02-1200-service-accounts.ts';
import { bootstrap, globalRoleId, rightId, rightsBundleId } from '../../src/tenancy/bootstrap.ts';
import { loadEffectiveRights } from '../../src/rbac/effective-rights.ts';
import { RIGHTS } from '../../src/rbac/rights-catalog.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { TEST_PASSWORD_POLICY } from '../support/test-server.ts';

const SA_RIGHTS = [RIGHTS.serviceAccountsView, RIGHTS.serviceAccountsManage, RIGHTS.serviceAccountsViewLimited];

/**
 * An installation bootstrapped before service accounts existed (issue 16): the migration creates the
 * tables, and the next start seeds the new rights and gives them to the System Administrator, the
 * Organization Administrator global role and the System Rights Bundle (grant-new-rights.ts).
 */
describe.each(engines)('the service accounts migration on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('grants the service-account rights to an existing System Administrator and Organization Administrator', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    const clock = { now: () => new Date() };
    await bootstrap(db, { clock, adminPassword: 'Older-Passw0rd!', passwordHash: TEST_PASSWORD_POLICY });
    // As an older version left it: no tables, no rights, no grants of them.
    const ids = SA_RIGHTS.map(rightId);
    await db.schema.dropTable('service_account_refresh_tokens').execute();
    await db.schema.dropTable('service_accounts').execute();
    await db.deleteFrom('role_rights').where('right_id', 'in', ids).execute();
    await db.deleteFrom('global_role_rights').where('right_id', 'in', ids).execute();
    await db.deleteFrom('rights_bundle_rights').where('right_id', 'in', ids).execute();
    await db.deleteFrom('rights').where('id', 'in', ids).execute();

    await up(db as never);
    await bootstrap(db, { clock, adminPassword: undefined, passwordHash: TEST_PASSWORD_POLICY });

    const admin = await db.selectFrom('users').select(['id', 'org_id']).where('username', '=', 'administrator').executeTakeFirstOrThrow();
    const { rights } = await loadEffectiveRights(db, { userId: admin.id, orgId: admin.org_id, isProvider: true });
    for (const r of SA_RIGHTS) expect(rights.has(r), r).toBe(true);
    const orgAdmin = await db.selectFrom('global_role_rights').select('right_id').where('global_role_id', '=', globalRoleId('Organization Administrator')).where('right_id', 'in', ids).execute();
    expect(orgAdmin).toHaveLength(3);
    const systemBundle = await db.selectFrom('rights_bundle_rights').select('right_id').where('rights_bundle_id', '=', rightsBundleId('System Rights Bundle')).where('right_id', 'in', ids).execute();
    expect(systemBundle).toHaveLength(3);
    // Tenants get them only from a bundle the provider publishes, as with API tokens (seed 000).
    const defaultBundle = await db.selectFrom('rights_bundle_rights').select('right_id').where('rights_bundle_id', '=', rightsBundleId('Default Rights Bundle')).where('right_id', 'in', ids).execute();
    expect(defaultBundle).toEqual([]);
    expect(await db.selectFrom('service_accounts').select('id').execute()).toEqual([]);
  });
});

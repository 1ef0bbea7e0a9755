import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/common/clock.ts';
import { RIGHTS } from '../../src/rbac/rights-catalog.ts';
import type { Database } from '../../src/storage/database.ts';
import { bootstrap, globalRoleId, rightId, rightsBundleId } from '../../src/tenancy/bootstrap.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { TEST_PASSWORD_POLICY } from '../support/test-server.ts';

/**
 * Issue 16: an installation bootstrapped by a version without Token: Introspect gets it, on the
 * next start, where a fresh install has it — and nowhere else.
 */
const clock: Clock = { now: () => new Date(Date.UTC(2026, 11, 2, 12, 0, 0)) };
const openDb = testDatabasePerTest();

async function holders(db: Kysely<Database>, right: string) {
  const id = rightId(right);
  const roles = await db.selectFrom('role_rights as rr').innerJoin('roles as r', 'r.id', 'rr.role_id').select('r.name').where('rr.right_id', '=', id).execute();
  const globalRoles = await db.selectFrom('global_role_rights').select('global_role_id').where('right_id', '=', id).execute();
  const bundles = await db.selectFrom('rights_bundle_rights').select('rights_bundle_id').where('right_id', '=', id).execute();
  return {
    roles: roles.map((r) => r.name).sort(),
    globalRoles: globalRoles.map((g) => g.global_role_id).sort(),
    bundles: bundles.map((b) => b.rights_bundle_id).sort(),
  };
}

/** What an older version left behind: the catalogue and every grant without the right. */
async function forget(db: Kysely<Database>, right: string): Promise<void> {
  const id = rightId(right);
  await db.deleteFrom('role_rights').where('right_id', '=', id).execute();
  await db.deleteFrom('global_role_rights').where('right_id', '=', id).execute();
  await db.deleteFrom('rights_bundle_rights').where('right_id', '=', id).execute();
  await db.deleteFrom('rights').where('id', '=', id).execute();
}

describe.each(engines)('rights added by a newer catalogue on %s', (engine) => {
  it('are granted on the next start to the System Administrator role and the predefined global roles and bundles that list them', async () => {
    const { handle: { db } } = await openDb(engine);
    const start = () => bootstrap(db, { clock, adminPassword: 'bootstrap-Passw0rd!', passwordHash: TEST_PASSWORD_POLICY });
    await start();
    const fresh = await holders(db, RIGHTS.tokenIntrospect);
    expect(fresh).toEqual({
      roles: ['System Administrator'],
      globalRoles: [globalRoleId('Organization Administrator')],
      bundles: [rightsBundleId('System Rights Bundle')],
    });
    await forget(db, RIGHTS.tokenIntrospect);
    expect((await holders(db, RIGHTS.tokenIntrospect)).roles).toEqual([]);
    const versionBefore = (await db.selectFrom('rbac_version').select('version').executeTakeFirstOrThrow()).version;

    await start();

    expect(await holders(db, RIGHTS.tokenIntrospect)).toEqual(fresh);
    expect(Number((await db.selectFrom('rbac_version').select('version').executeTakeFirstOrThrow()).version)).toBeGreaterThan(Number(versionBefore));
    // A start with nothing new grants nothing twice.
    await start();
    expect(await holders(db, RIGHTS.tokenIntrospect)).toEqual(fresh);
  });
});

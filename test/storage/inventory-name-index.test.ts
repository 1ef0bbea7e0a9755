import { describe, expect, it } from 'vitest';
import { newId } from '../../src/common/ids.ts';
import { up } from '../../src/storage/migrations/2026-11-23-1501-inventory-name-unique.ts';
import { uniqueViolationOf } from '../../src/storage/unique-violation.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { nameRows } from '../support/name-rows.ts';

/** VDC names unique per org, vApp names per VDC, VM names per vApp: in the database too. */
describe.each(engines)('the inventory name indexes on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('allows one name in different scopes and renames duplicates an earlier race left, lowest id kept', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    for (const index of ['vdcs_org_name', 'vapps_vdc_name', 'vms_vapp_name']) await db.schema.dropIndex(index).execute();
    const vappId = newId();
    const vm = (id: string, name: string) => ({ ...nameRows.vms(vappId, name), id });
    await db.insertInto('vms').values([
      vm('00000000-0000-4000-8000-000000000001', 'web'), vm('00000000-0000-4000-8000-000000000002', 'web'),
      vm('00000000-0000-4000-8000-000000000003', 'web (2)'), nameRows.vms(newId(), 'web'),
    ] as never).execute();
    const orgId = newId();
    await db.insertInto('vdcs').values([nameRows.vdcs(orgId, 'Gold'), nameRows.vdcs(orgId, 'Gold'), nameRows.vdcs(newId(), 'Gold')] as never).execute();
    await up(db as never);
    const vms = Object.fromEntries((await db.selectFrom('vms').select(['id', 'name']).where('vapp_id', '=', vappId).execute()).map((r) => [r.id.slice(-1), r.name]));
    expect(vms).toEqual({ 1: 'web', 2: 'web (3)', 3: 'web (2)' });
    expect((await db.selectFrom('vdcs').select('name').where('org_id', '=', orgId).orderBy('name').execute()).map((r) => r.name)).toEqual(['Gold', 'Gold (2)']);
    const again = await db.insertInto('vms').values(nameRows.vms(vappId, 'web') as never).execute().catch((e: unknown) => e);
    expect(uniqueViolationOf(again)).not.toBeNull();
  });
});

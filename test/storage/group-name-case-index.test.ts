import { describe, expect, it } from 'vitest';
import { newId } from '../../src/common/ids.ts';
import { up } from '../../src/storage/migrations/2026-11-23-1401-group-name-case-insensitive.ts';
import { nameUniqueKeyOf, uniqueViolationOf } from '../../src/storage/unique-violation.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { nameRows } from '../support/name-rows.ts';

/** Group names are unique per org regardless of case, in the database too (racing creates). */
describe.each(engines)('the case-insensitive group name index on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('refuses "ops" next to "Ops" in one org as the group name key, and allows it in another org', async () => {
    const t = await openDatabase(engine);
    const orgId = newId();
    await t.handle.db.insertInto('groups').values(nameRows.groups(orgId, 'Ops') as never).execute();
    const err = await t.handle.db.insertInto('groups').values(nameRows.groups(orgId, 'ops') as never).execute().catch((e: unknown) => e);
    const violation = uniqueViolationOf(err);
    expect(violation && nameUniqueKeyOf(violation)?.constraint).toBe('groups_org_name_lower');
    await t.handle.db.insertInto('groups').values(nameRows.groups(newId(), 'ops') as never).execute();
  });

  it('renames groups an earlier race left differing only in case (lowest id kept), then builds the index', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    await db.schema.dropIndex('groups_org_name_lower').execute();
    const orgId = newId();
    const g = (id: string, name: string) => ({ ...nameRows.groups(orgId, name), id });
    await db.insertInto('groups').values([
      g('00000000-0000-4000-8000-000000000001', 'Ops'), g('00000000-0000-4000-8000-000000000002', 'ops'),
      g('00000000-0000-4000-8000-000000000003', 'OPS'), g('00000000-0000-4000-8000-000000000004', 'ops (2)'),
    ] as never).execute();
    await up(db as never);
    const names = Object.fromEntries((await db.selectFrom('groups').select(['id', 'name']).where('org_id', '=', orgId).execute()).map((r) => [r.id.slice(-1), r.name]));
    expect(names).toEqual({ 1: 'Ops', 2: 'ops (3)', 3: 'OPS (4)', 4: 'ops (2)' });
    const again = await db.insertInto('groups').values(nameRows.groups(orgId, 'oPs') as never).execute().catch((e: unknown) => e);
    expect(uniqueViolationOf(again)).not.toBeNull();
  });
});

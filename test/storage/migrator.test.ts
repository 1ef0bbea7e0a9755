import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { migrateToLatest, pendingMigrations } from '../../src/storage/migrator.ts';
import { engines, openEmptyTestDatabase, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

const allNames = migrations.map((m) => m.name);

async function recordedMigrations(handle: DatabaseHandle): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(handle.db);
  return rows.rows.map((r) => r.name);
}

describe.each(engines)('migrator on %s', (engine) => {
  const opened: TestDatabase[] = [];
  const extraHandles: DatabaseHandle[] = [];
  afterEach(async () => {
    await Promise.all(extraHandles.splice(0).map((h) => h.close()));
    await Promise.all(opened.splice(0).map((t) => t.cleanup()));
  });

  it('applies every migration to an empty database and then lists none pending', async () => {
    const t = await openEmptyTestDatabase(engine);
    opened.push(t);
    expect(await pendingMigrations(t.handle.db)).toEqual(allNames);

    expect(await migrateToLatest(t.handle.db, t.handle.caps)).toEqual(allNames);

    expect(await pendingMigrations(t.handle.db)).toEqual([]);
    expect(await recordedMigrations(t.handle)).toEqual([...allNames].sort());
  });

  it('applies nothing when run a second time', async () => {
    const t = await openEmptyTestDatabase(engine);
    opened.push(t);
    expect(await migrateToLatest(t.handle.db, t.handle.caps)).toEqual(allNames);
    expect(await migrateToLatest(t.handle.db, t.handle.caps)).toEqual([]);
    expect(await recordedMigrations(t.handle)).toEqual([...allNames].sort());
  });

  it('round-trips an org row through Kysely', async () => {
    const t = await openTestDatabase(engine);
    opened.push(t);
    const { db } = t.handle;
    const org = {
      id: 'urn:vcloud:org:6c1e8a0e-0000-4000-8000-000000000001',
      name: 'Ünïcode-Org',
      name_lower: 'ünïcode-org',
      display_name: 'Unicode Org ✓',
      description: "it's a test",
      is_enabled: 1,
      require_mfa: 0,
      created_at: '2026-11-23T10:00:00.000Z',
    };
    await db.insertInto('orgs').values(org).execute();

    expect(await db.selectFrom('orgs').selectAll().where('id', '=', org.id).executeTakeFirst()).toEqual(org);
    // name_lower is unique on both engines.
    await expect(db.insertInto('orgs').values({ ...org, id: 'other' }).execute()).rejects.toThrow();
    await db.updateTable('orgs').set({ is_enabled: 0 }).where('id', '=', org.id).execute();
    const row = await db.selectFrom('orgs').select(['is_enabled', 'require_mfa']).where('name_lower', '=', 'ünïcode-org').executeTakeFirstOrThrow();
    expect(row).toEqual({ is_enabled: 0, require_mfa: 0 });
  });
});

// Several cells only exist on PostgreSQL (SQLite is one process), so this case has its own suite.
describe('migrator on postgres with several cells', () => {
  const opened: TestDatabase[] = [];
  const extraHandles: DatabaseHandle[] = [];
  afterEach(async () => {
    await Promise.all(extraHandles.splice(0).map((h) => h.close()));
    await Promise.all(opened.splice(0).map((t) => t.cleanup()));
  });
  it('applies each migration exactly once when several cells start at once', async () => {
    const t = await openEmptyTestDatabase('postgres');
    opened.push(t);
    // Three cells = three processes = three pools on the same database.
    const cells = [1, 2, 3].map(() => openDatabase({ dataDir: t.dataDir, databaseUrl: t.url, poolSize: 2 }));
    extraHandles.push(...cells);

    const results = await Promise.all(cells.map((c) => migrateToLatest(c.db, c.caps)));

    // Every call succeeded; between them each migration was applied by exactly one cell.
    expect(results.flat().sort()).toEqual([...allNames].sort());
    const counts = await sql<{ name: string; n: number }>`
      select name, count(*)::int as n from schema_migrations group by name order by name`.execute(t.handle.db);
    expect(counts.rows).toEqual([...allNames].sort().map((name) => ({ name, n: 1 })));
    for (const c of cells) expect(await pendingMigrations(c.db)).toEqual([]);
    // The seed row of the initial migration was inserted once, not once per cell.
    const seed = await t.handle.db.selectFrom('rbac_version').selectAll().execute();
    expect(seed).toEqual([{ id: 1, version: 1 }]);
  });

});

import { describe, expect, it } from 'vitest';
import { newId } from '../../src/common/ids.ts';
import { up } from '../../src/storage/migrations/2026-11-23-1301-api-token-live-name-unique.ts';
import { uniqueViolationOf, nameUniqueKeyOf } from '../../src/storage/unique-violation.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';
import { nameRows } from '../support/name-rows.ts';

/**
 * A user's live API tokens have distinct names, enforced by a partial unique index so that two
 * racing registrations cannot both win; revoked tokens keep their names and do not count.
 */
describe.each(engines)('the live API token name index on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('refuses a second live token of one user with a taken name, as the API token name key', async () => {
    const t = await openDatabase(engine);
    const [orgId, userId] = [newId(), newId()];
    await t.handle.db.insertInto('api_tokens').values(nameRows.api_tokens(orgId, userId, 'ci') as never).execute();
    const err = await t.handle.db.insertInto('api_tokens').values(nameRows.api_tokens(orgId, userId, 'ci') as never).execute().catch((e: unknown) => e);
    const violation = uniqueViolationOf(err);
    expect(violation && nameUniqueKeyOf(violation)?.entity).toBe('API token');
  });

  it('lets a revoked token keep a name that a live token has, and another user use it too', async () => {
    const t = await openDatabase(engine);
    const [orgId, userId] = [newId(), newId()];
    await t.handle.db.insertInto('api_tokens').values([
      nameRows.api_tokens(orgId, userId, 'ci', '2026-01-02T00:00:00.000Z'),
      nameRows.api_tokens(orgId, userId, 'ci', '2026-01-03T00:00:00.000Z'),
      nameRows.api_tokens(orgId, userId, 'ci'),
      nameRows.api_tokens(orgId, newId(), 'ci'),
    ] as never).execute();
    expect(await t.handle.db.selectFrom('api_tokens').select('id').where('name', '=', 'ci').execute()).toHaveLength(4);
  });

  it('renames the live duplicates an earlier race left behind (oldest keeps its name), then builds the index', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    await db.schema.dropIndex('api_tokens_live_name').execute();
    const [orgId, userId] = [newId(), newId()];
    const at = (n: number) => `2026-01-0${n}T00:00:00.000Z`;
    const row = (name: string, createdAt: string, revokedAt: string | null = null) => {
      const base = nameRows.api_tokens(orgId, userId, name, revokedAt);
      return { ...base, id: String(base.id), created_at: createdAt };
    };
    const oldest = row('ci', at(1));
    const second = row('ci', at(2));
    const third = row('ci', at(3));
    await db.insertInto('api_tokens').values([third, oldest, second, row('ci (2)', at(4)), row('ci', at(5), at(6))] as never).execute();
    await up(db as never);
    const names = Object.fromEntries((await db.selectFrom('api_tokens').select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
    expect(names[oldest.id]).toBe('ci');
    expect(names[second.id]).toBe('ci (3)');
    expect(names[third.id]).toBe('ci (4)');
    const again = await db.insertInto('api_tokens').values(row('ci', at(7)) as never).execute().catch((e: unknown) => e);
    expect(uniqueViolationOf(again)).not.toBeNull();
  });
});

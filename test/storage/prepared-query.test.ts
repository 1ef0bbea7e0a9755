import { describe, expect, it } from 'vitest';
import { preparedQuery } from '../../src/storage/prepared-query.ts';
import { engines, testDatabasePerTest } from '../support/database-engines.ts';

describe.each(engines)('preparedQuery on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('runs the query compiled once with each call\'s own values, wherever the placeholders sit', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    await db.insertInto('schema_meta').values([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }]).execute();
    let builds = 0;
    const between = preparedQuery(db, 2, (lo, hi) => {
      builds++;
      return db.selectFrom('schema_meta').select(['key', 'value']).where('key', '>=', lo).where('value', '<=', hi).orderBy('key');
    });
    expect(await between('b', '3')).toEqual([{ key: 'b', value: '2' }, { key: 'c', value: '3' }]);
    expect(await between('a', '1')).toEqual([{ key: 'a', value: '1' }]);
    expect(await between('z', '9')).toEqual([]);
    expect(builds).toBe(1);
  });

  it('refuses a build that does not bind every placeholder', async () => {
    const t = await openDatabase(engine);
    const db = t.handle.db;
    const broken = preparedQuery(db, 1, () => db.selectFrom('schema_meta').select('key'));
    await expect(broken('x')).rejects.toThrow(/placeholder 0 is not a bound parameter/);
  });
});

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteDialect,
} from 'kysely';
import { AppError } from '../../src/errors/app-error.ts';
import { fiqlToWhere, matchesFiql, parseFiql, toLikePattern } from '../../src/fiql/index.ts';
import type { FiqlFieldMap } from '../../src/fiql/index.ts';

interface ItemsTable {
  id: number;
  name: string | null;
  kind: string;
  size: number;
  owner_name: string | null;
  created: string;
  active: number;
}
interface TestDB {
  items: ItemsTable;
}

const FIELDS: FiqlFieldMap = {
  id: { column: 'id', type: 'number' },
  name: { column: 'name', caseInsensitive: true },
  kind: { column: 'kind', caseInsensitive: true },
  'owner.name': { column: 'owner_name', caseInsensitive: true },
  size: { column: 'size', type: 'number' },
  created: { column: 'created', type: 'timestamp' },
  active: { column: 'active', type: 'boolean' },
};

let db: Kysely<TestDB>;

beforeAll(async () => {
  db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('owner_name', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .execute();
});

afterAll(async () => {
  await db.destroy();
});

/** Compiles `select id from items as u where <filter>` against SQLite. */
function compileFilter(filter: string, fields: FiqlFieldMap = FIELDS): { sql: string; parameters: readonly unknown[] } {
  return db.selectFrom('items').select('id').where(fiqlToWhere(parseFiql(filter), fields, 'like')).compile();
}

function expectInvalid(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID_FILTER');
    expect((e as AppError).message).toContain(fragment);
    return;
  }
  throw new Error('expected INVALID_FILTER');
}

describe('fiqlToWhere: generated SQL', () => {
  it('Go SDK filter on qualified columns', () => {
    const fields: FiqlFieldMap = {
      name: { column: 't.name' },
      'owner.name': { column: 'u.username', caseInsensitive: true },
      type: { column: 't.type' },
    };
    const q = compileFilter('(name==ci-pipeline;owner.name==alice;(type==PROXY,type==REFRESH))', fields);
    expect(q.sql).toContain('where ("t"."name" = ? and lower("u"."username") = lower(?) and ("t"."type" = ? or "t"."type" = ?))');
    expect(q.parameters).toEqual(['ci-pipeline', 'alice', 'PROXY', 'REFRESH']);
  });

  it('CSE escaped value is bound as a parameter, unescaped', () => {
    const q = compileFilter('kind==REFRESH;name==my\\,token\\;x');
    expect(q.parameters).toEqual(['REFRESH', 'my,token;x']);
  });

  it('audit timestamp is normalised to toISOString form', () => {
    expect(compileFilter('created=gt=2024-05-01T08:00:00Z').parameters).toEqual(['2024-05-01T08:00:00.000Z']);
    expect(compileFilter('created=le=2024-05-01T10:00:00+02:00').sql).toContain('"created" <= ?');
  });

  it('wildcards become LIKE with %, _ and \\ escaped; escaped * stays literal', () => {
    const q = compileFilter('name==a*b\\*c%_\\\\');
    expect(q.sql).toContain(`lower("name") like lower(?) escape '\\'`);
    expect(q.parameters).toEqual(['a%b*c\\%\\_\\\\']);
    expect(compileFilter('name!=*x').sql).toContain('not like');
    expect(toLikePattern(['', '50%', ''])).toBe('%50\\%%');
  });

  it('uses the passed LIKE operator on case-sensitive fields (ilike on PostgreSQL)', () => {
    const pg = new Kysely<TestDB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    const where = fiqlToWhere<TestDB, 'items'>(parseFiql('kind==PRO*'), { kind: { column: 'kind' } }, 'ilike');
    const q = pg.selectFrom('items').select('id').where(where).compile();
    expect(q.sql).toContain(`"kind" ilike $1 escape '\\'`);
    expect(q.parameters).toEqual(['PRO%']);
  });

  it('ordering operators treat * literally', () => {
    expect(compileFilter('name=ge=a*').parameters).toEqual(['a*']);
  });

  it('converts numbers and booleans', () => {
    expect(compileFilter('size=lt=1e1;active==true;active!=false').parameters).toEqual([10, 1, 0]);
  });

  it('applies map before comparing (URN → bare UUID)', () => {
    const uuid = '6f1c2d3e-0000-4000-8000-000000000001';
    const fields: FiqlFieldMap = { 'owner.id': { column: 'owner_id', map: (v) => v.replace(/^urn:vcloud:user:/, '') } };
    expect(compileFilter(`owner.id==urn:vcloud:user:${uuid}`, fields).parameters).toEqual([uuid]);
    expect(compileFilter('owner.id==urn:vcloud:user:6f1c*', fields).parameters).toEqual(['6f1c%']);
  });

  it('turns a map that throws into INVALID_FILTER', () => {
    const fields: FiqlFieldMap = {
      id: {
        column: 'id',
        map: () => {
          throw new Error('not a URN');
        },
      },
    };
    expectInvalid(() => compileFilter('id==x', fields), "not a valid value for 'id'");
  });
});

describe('fiqlToWhere: rejected filters', () => {
  it('names an unknown selector and lists the allowed ones', () => {
    expectInvalid(() => compileFilter('colour==red'), "unknown selector 'colour'; allowed selectors are: active, created, id, kind, name, owner.name, size");
  });

  it('does not resolve Object.prototype members as selectors', () => {
    expectInvalid(() => compileFilter('constructor==x'), "unknown selector 'constructor'");
  });

  it.each([
    ['size==big', "'size' takes a number"],
    ['size==1*', "'size' takes a number"],
    ['size==', "'size' takes a number"],
    ['active==yes', "'active' takes true or false"],
    ['created=gt=yesterday', "'created' takes an ISO-8601 timestamp"],
    ['created=gt=2024-02-30T00:00:00Z', "'created' takes an ISO-8601 timestamp"],
  ])('%s', (filter, fragment) => {
    expectInvalid(() => compileFilter(filter), fragment);
  });

  it('validates eagerly, before any SQL is built', () => {
    expectInvalid(() => fiqlToWhere(parseFiql('name==a,nope==b'), FIELDS, 'like'), "'nope'");
  });
});

// ---- SQL against in-memory evaluation ---------------------------------------------------------

type Row = ItemsTable;
const toRecord = (r: Row): Record<string, unknown> => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  size: r.size,
  owner: { name: r.owner_name },
  created: r.created,
  active: r.active === 1,
});

// ASCII only, so SQLite's lower()/LIKE and JavaScript's toLowerCase agree; includes the LIKE and
// FIQL metacharacters so escaping is exercised on both sides.
const DATA_CHARS = ['a', 'b', 'A', 'B', '%', '_', '\\', '*', ',', ' '];
const BASE = Date.UTC(2024, 4, 1, 8);
const HOUR = 3_600_000;
const text = fc.string({ unit: fc.constantFrom(...DATA_CHARS), maxLength: 3 });
const rowArb = fc.record({
  name: fc.option(text, { freq: 8 }),
  kind: text,
  size: fc.integer({ min: 0, max: 20 }),
  owner_name: fc.option(text, { freq: 8 }),
  created: fc.integer({ min: 0, max: 40 }).map((h) => new Date(BASE + h * HOUR).toISOString()),
  active: fc.constantFrom(0, 1),
});

const escapeFiql = (s: string): string => s.replace(/[\\;,()*]/g, '\\$&');
// A FIQL string value: literal characters (escaped where needed) and unescaped `*` wildcards.
const stringValue = fc
  .array(fc.oneof(fc.constantFrom(...DATA_CHARS).map(escapeFiql), fc.constant('*')), { maxLength: 3 })
  .map((tokens) => tokens.join(''));
const numberValue = fc
  .tuple(fc.integer({ min: -1, max: 21 }), fc.constantFrom('', '.0', 'e0'))
  .map(([n, suffix]) => `${n}${suffix}`);
const timestampValue = fc.tuple(fc.integer({ min: -1, max: 41 }), fc.boolean()).map(([h, millis]) => {
  const iso = new Date(BASE + h * HOUR).toISOString();
  return millis ? iso : iso.replace('.000Z', 'Z');
});
const op = fc.constantFrom('==', '!=', '=lt=', '=le=', '=gt=', '=ge=');
const comparison = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'kind', 'owner.name'), op, stringValue),
  fc.tuple(fc.constantFrom('size', 'id'), op, numberValue),
  fc.tuple(fc.constant('created'), op, timestampValue),
  fc.tuple(fc.constant('active'), op, fc.constantFrom('true', 'false')),
).map(([selector, operator, value]) => `${selector}${operator}${value}`);
const { filter } = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    comparison,
    fc
      .tuple(fc.constantFrom(';', ','), fc.array(tie('filter'), { minLength: 2, maxLength: 3 }))
      .map(([sep, parts]) => parts.map((p) => `(${p})`).join(sep)),
  ),
}));

describe('fiqlToWhere agrees with matchesFiql', () => {
  let rows: Row[] = [];

  beforeAll(async () => {
    rows = fc.sample(rowArb, { numRuns: 300, seed: 20240501 }).map((r, i) => ({ ...r, id: i + 1 }));
    for (let i = 0; i < rows.length; i += 100) await db.insertInto('items').values(rows.slice(i, i + 100)).execute();
  });

  it('selects the same ids for random filters over a few hundred random rows', async () => {
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        const node = parseFiql(f);
        const sqlIds = (
          await db.selectFrom('items').select('id').where(fiqlToWhere(node, FIELDS, 'like')).orderBy('id').execute()
        ).map((r) => r.id);
        const memoryIds = rows.filter((r) => matchesFiql(node, toRecord(r), { caseInsensitive: true })).map((r) => r.id);
        expect(sqlIds).toEqual(memoryIds);
        if (sqlIds.length > 0 && sqlIds.length < rows.length) nonTrivial++;
      }),
      { numRuns: 500 },
    );
    // Guard against a generator that only ever selects nothing or everything.
    expect(nonTrivial).toBeGreaterThan(100);
  });

  it('matches literal LIKE metacharacters only when escaped', async () => {
    await db.deleteFrom('items').where('id', '>', 1000).execute();
    const extra = [
      { id: 1001, name: '50%', kind: 'x_y', size: 0, owner_name: 'a\\b', created: new Date(BASE).toISOString(), active: 1 },
      { id: 1002, name: '500', kind: 'xzy', size: 0, owner_name: 'ab', created: new Date(BASE).toISOString(), active: 1 },
    ];
    await db.insertInto('items').values(extra).execute();
    const ids = async (f: string): Promise<number[]> =>
      (await db.selectFrom('items').select('id').where('id', '>', 1000).where(fiqlToWhere(parseFiql(f), FIELDS, 'like')).execute()).map(
        (r) => r.id,
      );
    expect(await ids('name==50%*')).toEqual([1001]);
    expect(await ids('kind==x_*')).toEqual([1001]);
    expect(await ids('owner.name==a\\\\*')).toEqual([1001]);
    expect(await ids('name==5*0')).toEqual([1002]);
    await db.deleteFrom('items').where('id', '>', 1000).execute();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { engines, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';
import { NAME_UNIQUE_KEYS, nameUniqueKeyOf, uniqueViolationOf, type NameUniqueKey } from '../../src/storage/unique-violation.ts';
import { duplicateNameErrorOf } from '../../src/api/http/duplicate-name-error.ts';
import { AppError } from '../../src/errors/app-error.ts';
import { newId } from '../../src/common/ids.ts';
import { nameRows, type Row } from '../support/name-rows.ts';

/**
 * The violation recogniser against real errors: each case inserts a clashing row into the real
 * migrated schema on both engines, so the map in src/storage/unique-violation.ts is checked
 * against the constraint names and messages each engine really produces.
 */
const AT = '2026-01-01T00:00:00.000Z';
const { orgs: org } = nameRows;

/** Two rows per name key (by constraint) that clash on that key (distinct ids). */
const NAME_CLASHES: Record<string, () => [Row, Row]> = {
  orgs_name_lower_key: () => [org('Acme'), org('ACME')],
  roles_org_name: () => {
    const orgId = newId();
    return [nameRows.roles(orgId, 'Auditor'), nameRows.roles(orgId, 'Auditor')];
  },
  global_roles_name_key: () => [nameRows.global_roles('Tenant Admin'), nameRows.global_roles('Tenant Admin')],
  rights_bundles_name_key: () => [nameRows.rights_bundles('Token Rights'), nameRows.rights_bundles('Token Rights')],
  users_org_username: () => {
    const orgId = newId();
    return [nameRows.users(orgId, 'alice'), nameRows.users(orgId, 'Alice')];
  },
  // Identical names break both group keys; the engine may report either (both mean "group").
  groups_org_name: () => {
    const orgId = newId();
    return [nameRows.groups(orgId, 'ops'), nameRows.groups(orgId, 'ops')];
  },
  groups_org_name_lower: () => {
    const orgId = newId();
    return [nameRows.groups(orgId, 'Ops'), nameRows.groups(orgId, 'ops')];
  },
  vdcs_org_name: () => {
    const orgId = newId();
    return [nameRows.vdcs(orgId, 'Gold'), nameRows.vdcs(orgId, 'Gold')];
  },
  vapps_vdc_name: () => {
    const vdcId = newId();
    return [nameRows.vapps(vdcId, 'web'), nameRows.vapps(vdcId, 'web')];
  },
  vms_vapp_name: () => {
    const vappId = newId();
    return [nameRows.vms(vappId, 'web-01'), nameRows.vms(vappId, 'web-01')];
  },
  api_tokens_live_name: () => {
    const orgId = newId();
    const userId = newId();
    return [nameRows.api_tokens(orgId, userId, 'ci'), nameRows.api_tokens(orgId, userId, 'ci')];
  },
};

/** Unique keys that are not names: a clash on any of them is a server bug (500). */
const OTHER_CLASHES: Record<string, { table: string; rows: () => [Row, Row] }> = {
  'the orgs primary key': { table: 'orgs', rows: () => { const id = newId(); return [org('one', id), org('two', id)]; } },
  'the role_rights composite primary key': { table: 'role_rights', rows: () => [{ role_id: 'r', right_id: 'x' }, { role_id: 'r', right_id: 'x' }] },
  'sessions.legacy_token_hash': {
    table: 'sessions',
    rows: () => {
      const session = (): Row => ({
        id: newId(), org_id: 'o', user_id: 'u', api_token_id: null, legacy_token_hash: 'same-hash', enrolment_only: 0,
        created_at: AT, expires_at: AT, ended_at: null, client_ip: '127.0.0.1',
      });
      return [session(), session()];
    },
  },
  'audit_events.id': {
    table: 'audit_events',
    rows: () => {
      const event = (): Row => ({
        id: 'same-event', org_id: 'o', org_name: 'o', timestamp: AT, event_type: 't', event_status: 'SUCCESS', user_id: null, user_name: null,
        entity_id: null, entity_name: null, entity_type: null, description: '', api_token_id: null, additional_properties: '{}',
      });
      return [event(), event()];
    },
  },
  'rights.name (seeded by bootstrap only)': {
    table: 'rights',
    rows: () => {
      const right = (): Row => ({ id: newId(), name: 'Same Right', description: '', bundle_key: '', category_id: 'c', right_type: 'VIEW', service_namespace: 'x' });
      return [right(), right()];
    },
  },
  'rights_categories.name (seeded by bootstrap only)': {
    table: 'rights_categories',
    rows: () => [{ id: newId(), name: 'Same', bundle_key: '', parent_id: null }, { id: newId(), name: 'Same', bundle_key: '', parent_id: null }],
  },
};

describe.each(engines)('unique violations on %s', (engine) => {
  let test: TestDatabase;
  let db: Kysely<any>;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    db = test.handle.db as Kysely<any>;
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  /** Inserts the first row, then returns what inserting the second one threw. */
  async function clash(table: string, [first, second]: [Row, Row]): Promise<unknown> {
    await db.insertInto(table).values(first).execute();
    const err = await db.insertInto(table).values(second).execute().then(() => undefined, (e: unknown) => e);
    expect(err, `second insert into ${table} must fail`).toBeDefined();
    return err;
  }

  it('has a real clash for every name key in the map, and no more', () => {
    expect(Object.keys(NAME_CLASHES).sort()).toEqual(NAME_UNIQUE_KEYS.map((k) => k.constraint).sort());
  });

  it.each(NAME_UNIQUE_KEYS.map((k) => [k.constraint, k] as const))('recognises a clash on %s as that name key', async (_constraint, key: NameUniqueKey) => {
    const table = key.table;
    const err = await clash(table, NAME_CLASHES[key.constraint]!());
    const violation = uniqueViolationOf(err);
    expect(violation).not.toBeNull();
    const found = nameUniqueKeyOf(violation!);
    const sameTableKeys = NAME_UNIQUE_KEYS.filter((k) => k.table === table);
    if (key.constraint === 'groups_org_name') {
      // Both group keys are broken by identical names: either report is the right answer.
      expect(sameTableKeys).toContain(found);
      return;
    }
    expect(found).toBe(key);
    if (engine === 'postgres') expect(violation).toEqual({ table, columns: null, constraint: key.constraint });
    else if (key.columns.some((c) => c.includes('('))) expect(violation).toEqual({ table: null, columns: null, constraint: key.constraint });
    else expect(violation).toEqual({ table, columns: key.columns, constraint: null });

    const appError = duplicateNameErrorOf(err);
    expect(appError).toBeInstanceOf(AppError);
    expect(appError).toMatchObject({ code: 'DUPLICATE_NAME', status: 400 });
    expect(appError!.message).toBe(`${/^(?:[aeio]|API)/.test(key.entity) ? 'An' : 'A'} ${key.entity} with that name already exists${key.within}.`);
  });

  it.each(Object.entries(OTHER_CLASHES))('reports a clash on %s as a unique violation but not as a name (stays a 500)', async (_what, c) => {
    const err = await clash(c.table, c.rows());
    const violation = uniqueViolationOf(err);
    expect(violation).not.toBeNull();
    expect(violation!.table === c.table || violation!.constraint !== null).toBe(true);
    expect(nameUniqueKeyOf(violation!)).toBeUndefined();
    expect(duplicateNameErrorOf(err)).toBeUndefined();
  });

  it('sees a name clash that a plain Error wraps as its cause', async () => {
    const err = await clash('orgs', [org('Wrapped'), org('wrapped')]);
    expect(duplicateNameErrorOf(new Error('while creating', { cause: err }))).toMatchObject({ code: 'DUPLICATE_NAME' });
  });

  it('ignores database errors that are not unique violations, and non-database errors', async () => {
    const notNull = await db.insertInto('orgs').values({ ...org('nulls'), name_lower: null }).execute().then(() => undefined, (e: unknown) => e);
    expect(notNull).toBeDefined();
    const syntax = await sql`select frm orgs`.execute(db).then(() => undefined, (e: unknown) => e);
    expect(syntax).toBeDefined();
    for (const err of [notNull, syntax, new Error('UNIQUE constraint failed: users.org_id, users.username_lower'), undefined, null, 'text']) {
      expect(uniqueViolationOf(err)).toBeNull();
      expect(duplicateNameErrorOf(err)).toBeUndefined();
    }
  });
});

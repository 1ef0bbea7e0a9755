/**
 * Recognises a unique-constraint violation from either engine, and tells which of the schema's
 * name-uniqueness keys it hit.
 *
 * Why: every create checks "is the name taken?" inside its transaction, but two concurrent
 * transactions can both pass that check (PostgreSQL, READ COMMITTED); the loser then fails on the
 * unique index. That is the same client mistake as the sequential case (DUPLICATE_NAME, 400), not
 * a server fault. Any other unique key (a primary key, a token hash, an audit event id) clashing is
 * a bug and must stay a 500, so only the keys listed in NAME_UNIQUE_KEYS are recognised as names.
 */

/** What the engine said about a unique violation. */
export interface UniqueViolation {
  /** The table, when the engine names it (PostgreSQL always; SQLite for column lists). */
  readonly table: string | null;
  /** The indexed columns in index order (SQLite's message lists them; PostgreSQL: null). */
  readonly columns: readonly string[] | null;
  /** The constraint or index name (PostgreSQL always; SQLite only for expression indexes). */
  readonly constraint: string | null;
}

/** A unique key of the schema (src/storage/migrations) that exists to keep names unique. */
export interface NameUniqueKey {
  /** Protocol word for the object, for the client message ("a user with that name…"). */
  readonly entity: 'organization' | 'role' | 'global role' | 'rights bundle' | 'user' | 'group' | 'API token' | 'VDC' | 'vApp' | 'VM';
  /** Whether the name is unique per org or narrower (true) or site-wide (false). */
  readonly perOrg: boolean;
  /** Where the name must be unique, as the client message says it ('' for site-wide). */
  readonly within: string;
  readonly table: string;
  readonly columns: readonly string[];
  /**
   * The PostgreSQL constraint name: as given to addUniqueConstraint, or `<table>_<column>_key`
   * for a column declared `.unique()` (PostgreSQL's default). test/storage/unique-violation.test.ts
   * checks every entry against real violations on both engines.
   */
  readonly constraint: string;
}

/**
 * Every name-uniqueness key. Deliberately absent: `rights.name` and `rights_categories.name`
 * (written only by bootstrap: a clash is a bug), `sessions.legacy_token_hash`, `audit_events.id`
 * and all primary keys. A new unique name index needs a line here, or its race stays a 500.
 */
export const NAME_UNIQUE_KEYS: readonly NameUniqueKey[] = [
  { entity: 'organization', perOrg: false, within: '', table: 'orgs', columns: ['name_lower'], constraint: 'orgs_name_lower_key' },
  { entity: 'role', perOrg: true, within: ' in this organization', table: 'roles', columns: ['org_id', 'name'], constraint: 'roles_org_name' },
  { entity: 'global role', perOrg: false, within: '', table: 'global_roles', columns: ['name'], constraint: 'global_roles_name_key' },
  { entity: 'rights bundle', perOrg: false, within: '', table: 'rights_bundles', columns: ['name'], constraint: 'rights_bundles_name_key' },
  { entity: 'user', perOrg: true, within: ' in this organization', table: 'users', columns: ['org_id', 'username_lower'], constraint: 'users_org_username' },
  { entity: 'group', perOrg: true, within: ' in this organization', table: 'groups', columns: ['org_id', 'name'], constraint: 'groups_org_name' },
  // Case-insensitive (an expression index: SQLite names the index, not the columns).
  { entity: 'group', perOrg: true, within: ' in this organization', table: 'groups', columns: ['org_id', 'lower(name)'], constraint: 'groups_org_name_lower' },
  // Live tokens of one user (a partial index: revoked tokens keep their names).
  { entity: 'API token', perOrg: true, within: ' among your live tokens', table: 'api_tokens', columns: ['org_id', 'user_id', 'name'], constraint: 'api_tokens_live_name' },
  { entity: 'VDC', perOrg: true, within: ' in this organization', table: 'vdcs', columns: ['org_id', 'name'], constraint: 'vdcs_org_name' },
  { entity: 'vApp', perOrg: true, within: ' in this VDC', table: 'vapps', columns: ['vdc_id', 'name'], constraint: 'vapps_vdc_name' },
  { entity: 'VM', perOrg: true, within: ' in this vApp', table: 'vms', columns: ['vapp_id', 'name'], constraint: 'vms_vapp_name' },
];

/** PostgreSQL SQLSTATE unique_violation (primary keys report it too, under their own name). */
const PG_UNIQUE_VIOLATION = '23505';
/** better-sqlite3 extended result codes; a PRIMARY KEY clash has its own code. */
const SQLITE_UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
/** SQLite: "UNIQUE constraint failed: users.org_id, users.username_lower" or "…: index 'name'". */
const SQLITE_MESSAGE = /^UNIQUE constraint failed: (.+)$/;
const SQLITE_INDEX_FORM = /^index '(.+)'$/;

/** How deep to look through `cause` chains (someone wrapping a driver error in a plain Error). */
const MAX_CAUSE_DEPTH = 4;

function fromSqlite(e: { message?: unknown }): UniqueViolation | null {
  const m = typeof e.message === 'string' ? SQLITE_MESSAGE.exec(e.message) : null;
  if (!m) return { table: null, columns: null, constraint: null };
  const what = m[1]!;
  const index = SQLITE_INDEX_FORM.exec(what);
  if (index) return { table: null, columns: null, constraint: index[1]! };
  const parts = what.split(', ').map((p) => p.split('.'));
  const table = parts[0]?.[0] ?? null;
  // A column list always names one table; anything else is a message shape we do not know.
  if (!table || parts.some((p) => p.length !== 2 || p[0] !== table)) return { table: null, columns: null, constraint: null };
  return { table, columns: parts.map((p) => p[1]!), constraint: null };
}

/** The unique violation `err` reports (or wraps), whichever engine raised it; else null. */
export function uniqueViolationOf(err: unknown): UniqueViolation | null {
  let e: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; depth++) {
    const candidate = e as { code?: unknown; constraint?: unknown; table?: unknown; message?: unknown; cause?: unknown };
    if (candidate.code === PG_UNIQUE_VIOLATION) {
      return {
        table: typeof candidate.table === 'string' ? candidate.table : null,
        columns: null,
        constraint: typeof candidate.constraint === 'string' ? candidate.constraint : null,
      };
    }
    if (typeof candidate.code === 'string' && SQLITE_UNIQUE_CODES.has(candidate.code)) return fromSqlite(candidate);
    e = candidate.cause;
  }
  return null;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** The name-uniqueness key a unique violation hit, or undefined (not a name key: a server bug). */
export function nameUniqueKeyOf(violation: UniqueViolation): NameUniqueKey | undefined {
  return NAME_UNIQUE_KEYS.find((k) =>
    violation.constraint !== null
      ? violation.constraint === k.constraint && (violation.table === null || violation.table === k.table)
      : violation.table === k.table && violation.columns !== null && sameColumns(violation.columns, k.columns));
}

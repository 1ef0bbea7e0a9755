import { sql, type Kysely } from 'kysely';
import type { DialectCapabilities } from './dialects/capabilities.ts';
import { migrations } from './migrations/index.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';

/** Arbitrary constant naming OpenDirector's migration advisory lock on PostgreSQL. */
const MIGRATION_LOCK_ID = 72_410_310;

/**
 * Applies pending migrations, each in its own transaction. On PostgreSQL it holds an advisory
 * lock for the whole run, so several cells starting at once apply each migration exactly once.
 */
export async function migrateToLatest<DB>(database: Kysely<DB>, caps: DialectCapabilities): Promise<string[]> {
  // Migrations see the schema as it was when they were written, not today's typed `Database`.
  const db = untyped(database);
  await db.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute()
    .catch(async (e: unknown) => {
      // Two cells may race on CREATE TABLE IF NOT EXISTS in PostgreSQL (catalog unique violation).
      // No second look when the database did not answer: it would wait out another connection timeout.
      if (isDatabaseUnavailable(e) || !(await hasMigrationsTable(db))) throw e;
    });
  return withStartupLock(db, caps, async (conn) => {
    const applied = new Set(
      (await sql<{ name: string }>`select name from schema_migrations`.execute(conn)).rows.map((r) => r.name),
    );
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await conn.transaction().execute(async (trx) => {
        await m.up(trx, caps);
        await sql`insert into schema_migrations (name, applied_at) values (${m.name}, ${new Date().toISOString()})`.execute(trx);
      });
      done.push(m.name);
    }
    return done;
  });
}

/**
 * Runs `work` on one connection while holding OpenDirector's start-up advisory lock (where the
 * engine has them), so cells starting at once on an empty database do it one at a time: the
 * migrations, and the bootstrap of the System org, its administrator and the first signing key
 * (issue 6). `work` must use the connection it is given: on a small pool, waiting for another
 * connection while holding this one could deadlock.
 */
export async function withStartupLock<DB, T>(database: Kysely<DB>, caps: DialectCapabilities, work: (conn: Kysely<DB>) => Promise<T>): Promise<T> {
  return database.connection().execute(async (conn) => {
    if (caps.advisoryLocks) await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(conn);
    try {
      return await work(conn);
    } finally {
      if (caps.advisoryLocks) await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(conn);
    }
  });
}

/** Accepts any typed handle (e.g. `Kysely<Database>` from openDatabase), which Kysely<unknown> does not. */
function untyped<DB>(db: Kysely<DB>): Kysely<unknown> {
  return db as unknown as Kysely<unknown>;
}

async function hasMigrationsTable(db: Kysely<unknown>): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name === 'schema_migrations');
}

/** Names of migrations not yet applied (readiness check, polled by load balancers). */
export async function pendingMigrations<DB>(database: Kysely<DB>): Promise<string[]> {
  const db = untyped(database);
  // The plain read is the common case; catalogue introspection only when it fails (no table yet).
  const result = await sql<{ name: string }>`select name from schema_migrations`.execute(db).catch(async (e: unknown) => {
    if (await hasMigrationsTable(db)) throw e;
    return undefined;
  });
  if (!result) return migrations.map((m) => m.name);
  const rows = result.rows;
  const applied = new Set(rows.map((r) => r.name));
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}

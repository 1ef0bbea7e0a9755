/**
 * Opens a fresh, migrated database on either engine, so storage tests can run against both:
 *
 *   describe.each(engines)('%s', (engine) => { ... openTestDatabase(engine) ... })
 *
 * SQLite gets a new temp data dir; PostgreSQL gets a new database on this process's shared
 * embedded cluster (see embedded-postgres.ts).
 */
import fs from 'node:fs';
import { afterEach } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrateToLatest } from '../../src/storage/migrator.ts';
import { sharedPostgres } from './embedded-postgres.ts';

export const engines = ['sqlite', 'postgres'] as const;
export type Engine = (typeof engines)[number];

export interface TestDatabase {
  readonly handle: DatabaseHandle;
  /** Closes the handle and deletes the SQLite dir (the PostgreSQL database dies with its cluster). */
  cleanup(): Promise<void>;
}

/** Opens an empty database on `engine` (nothing migrated). `url` is set on PostgreSQL. */
export async function openEmptyTestDatabase(
  engine: Engine,
): Promise<TestDatabase & { readonly dataDir: string; readonly url?: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-test-'));
  const url = engine === 'postgres' ? await (await sharedPostgres()).createDatabase() : undefined;
  const handle = openDatabase({ dataDir, databaseUrl: url });
  // pg.Pool re-emits errors of idle clients (e.g. 57P01 when the cluster shuts down at process
  // exit while a handle is still open); unhandled, that crashes the fork. Queries in flight still
  // see their own errors.
  handle.pgPool?.on('error', () => undefined);
  let closed = false;
  return {
    handle,
    dataDir,
    ...(url ? { url } : {}),
    async cleanup() {
      if (closed) return;
      closed = true;
      await handle.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a fresh database on `engine` with every migration applied (`dataDir`: SQLite's folder). */
export async function openTestDatabase(engine: Engine): Promise<TestDatabase & { readonly dataDir: string }> {
  const test = await openEmptyTestDatabase(engine);
  try {
    await migrateToLatest(test.handle.db, test.handle.caps);
  } catch (e) {
    await test.cleanup();
    throw e;
  }
  return { handle: test.handle, dataDir: test.dataDir, cleanup: test.cleanup };
}

/**
 * For a test file or describe block: opens migrated databases (openTestDatabase) and cleans up
 * every one opened by a test after that test. Call it where `afterEach` may be registered.
 */
export function testDatabasePerTest(): (engine: Engine) => Promise<TestDatabase & { readonly dataDir: string }> {
  const opened: TestDatabase[] = [];
  afterEach(async () => {
    for (const t of opened.splice(0).reverse()) await t.cleanup();
  });
  return async (engine) => {
    const t = await openTestDatabase(engine);
    opened.push(t);
    return t;
  };
}

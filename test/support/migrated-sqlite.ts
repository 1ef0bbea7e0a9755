import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrateToLatest } from '../../src/storage/migrator.ts';

/**
 * Embedded SQLite databases for storage tests: each `open()` opens (and migrates) a database in a
 * fresh temporary folder, or in `dataDir` to reopen one; everything opened is closed and every
 * folder removed after each test. `close(handle)` closes one early (to test a reopen).
 */
export function migratedSqlite(prefix: string): {
  open(dataDir?: string): Promise<{ handle: DatabaseHandle; dataDir: string }>;
  close(handle: DatabaseHandle): Promise<void>;
} {
  const dirs: string[] = [];
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close().catch(() => undefined);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    async open(dataDir) {
      const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      if (!dataDir) dirs.push(dir);
      const handle = openDatabase({ dataDir: dir });
      handles.push(handle);
      await migrateToLatest(handle.db, handle.caps);
      return { handle, dataDir: dir };
    },
    async close(handle) {
      handles.splice(handles.indexOf(handle), 1);
      await handle.close();
    },
  };
}

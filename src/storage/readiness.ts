import type { Kysely } from 'kysely';
import { pendingMigrations } from './migrator.ts';

export interface DatabaseReadiness {
  /** `ok`, `unreachable` (the query failed) or `timeout` (no answer within the budget). */
  database: 'ok' | 'unreachable' | 'timeout';
  /** `ok`, `pending` (this code expects migrations the database lacks) or `unknown`. */
  migrations: 'ok' | 'pending' | 'unknown';
  pendingMigrations: string[];
}

/**
 * Whether the database answers within `timeoutMs` and has every migration this code expects
 * (readiness endpoint, issue 6). One query does both: reading the applied migrations proves the
 * database is reachable. A query still running at the deadline is left to finish on its own.
 */
export async function checkDatabaseReadiness<DB>(db: Kysely<DB>, timeoutMs: number): Promise<DatabaseReadiness> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const query = pendingMigrations(db).then((pending) => ({ pending }), () => 'unreachable' as const);
  try {
    const outcome = await Promise.race([query, deadline]);
    if (outcome === 'timeout' || outcome === 'unreachable') return { database: outcome, migrations: 'unknown', pendingMigrations: [] };
    return { database: 'ok', migrations: outcome.pending.length === 0 ? 'ok' : 'pending', pendingMigrations: outcome.pending };
  } finally {
    clearTimeout(timer);
  }
}

import type { Kysely } from 'kysely';

/**
 * Failed-credential counters shared by every cell (issue 6): one row per limited key (stored as
 * its SHA-256, since a key may hold the first characters of a presented token), counting
 * failures in a fixed window that starts at `window_started_ms` (epoch milliseconds).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('rate_limit_counters')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('window_started_ms', 'bigint', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_counters_window').on('rate_limit_counters').columns(['window_started_ms']).execute();
}

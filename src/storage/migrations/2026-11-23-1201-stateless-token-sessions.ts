import type { Kysely } from 'kysely';

/**
 * Token-derived sessions without a row (issue 7). An access token minted from an API token is
 * checked on every request against the API token's row (revoked?), its owner (enabled, not
 * locked, same session epoch) and org (enabled), so no session row is written per grant:
 * - `users.session_epoch` counts "end every session of this user" events (password set by an
 *   administrator, own password change, disable). The access token carries the epoch it was
 *   minted in; a different epoch means its session was ended.
 * - `ended_token_sessions` lists token-derived sessions ended one by one (logout, DELETE of a
 *   session), kept until the access token would have expired anyway.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createTable('ended_token_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_token_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ended_token_sessions_expiry').on('ended_token_sessions').columns(['expires_at']).execute();
}

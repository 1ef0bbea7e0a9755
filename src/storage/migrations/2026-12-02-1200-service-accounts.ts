import type { Kysely } from 'kysely';

/**
 * Service accounts (issue 16, spec §4.6, §5.6, §5.7): an org-owned identity with one role,
 * activated through the device authorization grant (RFC 8628), whose refresh tokens rotate.
 * - `service_accounts`: the account, its status (CREATED → REQUESTED → GRANTED → ACTIVE), the
 *   pending device authorization (only SHA-256 hashes of the device and user codes) and
 *   `session_epoch`, which every access token of the account carries: revoking the account or
 *   detecting a refresh-token replay bumps it, so every access token dies at its next request.
 * - `service_account_refresh_tokens`: one row per issued refresh token (SHA-256 only), chained by
 *   `family_id`; `rotated_at` marks one that was exchanged (presenting it again is a replay,
 *   RFC 9700 §4.14.2), `revoked_at` one that died with its chain.
 * Existing installations get the three new rights where a fresh one has them (the System
 * Administrator role, the Organization Administrator global role, the System Rights Bundle) at the
 * next start, as every right a newer catalogue adds (src/tenancy/grant-new-rights.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  await s.createTable('service_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('software_id', 'text', (c) => c.notNull())
    .addColumn('software_version', 'text')
    .addColumn('client_uri', 'text')
    .addColumn('role_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('device_code_hash', 'text')
    .addColumn('user_code_hash', 'text')
    .addColumn('device_expires_at', 'text')
    .addColumn('device_interval_seconds', 'integer', (c) => c.notNull().defaultTo(5))
    .addColumn('device_last_poll_at', 'text')
    .addColumn('device_denied', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('granted_by', 'text')
    .addColumn('last_used_at', 'text')
    .addUniqueConstraint('service_accounts_org_name', ['org_id', 'name'])
    .execute();
  await s.createIndex('service_accounts_device_code').on('service_accounts').column('device_code_hash').unique().execute();
  await s.createIndex('service_accounts_user_code').on('service_accounts').column('user_code_hash').unique().execute();
  await s.createTable('service_account_refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('service_account_id', 'text', (c) => c.notNull())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await s.createIndex('service_account_refresh_tokens_account').on('service_account_refresh_tokens').column('service_account_id').execute();
  await s.createIndex('service_account_refresh_tokens_family').on('service_account_refresh_tokens').column('family_id').execute();
}

import type { Kysely } from 'kysely';

/**
 * Token governance (issue 17). Every column is optional and a token that uses none of them
 * behaves as before:
 * - `api_tokens.expires_at`: after it the token no longer exchanges and its access tokens stop;
 *   a policy's maximum lifetime is written here too (tightening applies to existing tokens);
 * - `allowed_networks` / `rights`: JSON arrays (CIDRs, right names), NULL = no restriction;
 * - `access`: `full` or `read` (GET/HEAD only);
 * - `expiry_notice_at`: when the "expires in 7 days" audit event was written (once per token).
 * `api_token_policies` holds one org's policy; no row = no limit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('allowed_networks', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('access', 'text', (c) => c.notNull().defaultTo('full')).execute();
  await db.schema.alterTable('api_tokens').addColumn('rights', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('expiry_notice_at', 'text').execute();
  await db.schema.createIndex('api_tokens_expires_at').on('api_tokens').columns(['expires_at']).execute();
  await db.schema.createTable('api_token_policies')
    .addColumn('org_id', 'text', (c) => c.primaryKey())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('max_lifetime_days', 'integer')
    .addColumn('default_lifetime_days', 'integer')
    .addColumn('idle_expiry_days', 'integer')
    .addColumn('max_tokens_per_user', 'integer')
    .addColumn('require_allowed_networks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

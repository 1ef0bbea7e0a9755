import type { Kysely } from 'kysely';

/**
 * API tokens are looked up by the SHA-256 of the presented string (32-character tokens carry no
 * id, src/tokens/api-token-format.ts), so the hash gets a unique index, on both engines. Hashes of
 * tokens not yet issued are NULL, which a unique index allows any number of times.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('api_tokens_secret_hash').on('api_tokens').column('secret_hash').unique().execute();
}

import { sql, type Kysely } from 'kysely';

/** How long a lock from before this migration still holds (the default lock-out, issue 15). */
const EXISTING_LOCK_MS = 15 * 60_000;

/**
 * Issue 15, limits that hold for requests in flight and lock-outs that cannot be turned against
 * their owner:
 * - `rate_limit_counters.in_flight`: attempts reserved and not yet settled, counted with the
 *   failures against the limit (src/security/shared-failure-rate-limiter.ts).
 * - `users.locked_until`: an automatic lock-out after wrong second-factor codes ends by itself
 *   at that time (ISO-8601); it throttles interactive logins only. Locks set before this
 *   migration end 15 minutes after it.
 * - `login_known_addresses`: the addresses each user has logged in from successfully (password
 *   and, when enrolled, second factor), and when last. Failures others send from elsewhere do not
 *   count against the user's logins from these addresses (src/identity/login-limit-keys.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rate_limit_counters').addColumn('in_flight', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('locked_until', 'text').execute();
  const until = new Date(Date.now() + EXISTING_LOCK_MS).toISOString();
  await sql`UPDATE users SET locked_until = ${until} WHERE locked = 1`.execute(db);
  await db.schema.createTable('login_known_addresses')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_known_addresses_pk', ['user_id', 'client_ip'])
    .execute();
}

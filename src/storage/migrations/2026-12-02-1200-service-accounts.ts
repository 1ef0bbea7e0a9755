import type { Kysely } from 'kysely';
import { uuidV5 } from '../../common/ids.ts';

/** Rights added with service accounts (spec §5.6); names as in src/rbac/rights-catalog.ts. */
const VIEW = 'Service Accounts: View';
const MANAGE = 'Service Accounts: Manage';
const VIEW_LIMITED = 'Service Accounts: View Limited';

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
 * Existing installations also get the three rights in the System Administrator role, the
 * Organization Administrator global role and the System Rights Bundle (ids are UUIDv5 of the
 * names, as bootstrap makes them; the rights rows themselves are seeded at every start).
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
  await grantNewRights(db as Kysely<GrantTables>);
}

interface GrantTables {
  orgs: { id: string; name: string };
  roles: { id: string; org_id: string; name: string; global_role_id: string | null };
  role_rights: { role_id: string; right_id: string };
  global_role_rights: { global_role_id: string; right_id: string };
  rights_bundle_rights: { rights_bundle_id: string; right_id: string };
  global_roles: { id: string };
  rights_bundles: { id: string };
}

async function grantNewRights(db: Kysely<GrantTables>): Promise<void> {
  const rightIds = [VIEW, MANAGE, VIEW_LIMITED].map((n) => uuidV5(`right:${n}`));
  const system = await db.selectFrom('orgs').select('id').where('name', '=', 'System').executeTakeFirst();
  if (!system) return; // a fresh database: bootstrap seeds everything from the catalogue.
  const admin = await db.selectFrom('roles').select('id').where('org_id', '=', system.id).where('name', '=', 'System Administrator')
    .where('global_role_id', 'is', null).executeTakeFirst();
  const orgAdmin = await db.selectFrom('global_roles').select('id').where('id', '=', uuidV5('globalRole:Organization Administrator')).executeTakeFirst();
  const systemBundle = await db.selectFrom('rights_bundles').select('id').where('id', '=', uuidV5('rightsBundle:System Rights Bundle')).executeTakeFirst();
  for (const right_id of rightIds) {
    if (admin) await db.insertInto('role_rights').values({ role_id: admin.id, right_id }).execute();
    if (orgAdmin) await db.insertInto('global_role_rights').values({ global_role_id: orgAdmin.id, right_id }).execute();
    if (systemBundle) await db.insertInto('rights_bundle_rights').values({ rights_bundle_id: systemBundle.id, right_id }).execute();
  }
}
